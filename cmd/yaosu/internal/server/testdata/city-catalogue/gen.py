#!/usr/bin/env python3
"""Writes city-catalogue.csv: a city's government data resource catalogue (数据资源目录) as a
data office keeps it (GB/T 21063 core metadata, the office's own words), 300 rows from 15
departments, 9 of them deliberately bad. Deterministic: rerun it and convert with
  soffice --headless --infilter="CSV:44,34,76,1,1/2/2/2/3/2/4/2/5/2/6/2/7/2/8/2/9/2/10/2/11/2/12/2/13/2/14/2/15/2/16/2/17/1" \
    --convert-to xlsx city-catalogue.csv
(holder codes and resource codes as text cells, 发布日期 as date cells, as an office keeps them)
to rebuild city-catalogue.xlsx (the file the import test reads, as an office suite saves it)."""
import csv

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

def uscc(body17):
    s = sum(ALPHABET.index(c) * w for c, w in zip(body17, WEIGHTS))
    return body17 + ALPHABET[(31 - s % 31) % 31]

# (department, org-code body, theme as offices write it, industry 门类 label, resources)
DEPTS = [
    ("福州市卫生健康委员会", "003561001", "卫生健康", "卫生和社会工作", ["医疗机构执业登记", "医师执业注册", "预防接种记录", "传染病报告", "急救出车记录"]),
    ("福州市交通运输局", "003561002", "交通运输", "交通运输、仓储和邮政业", ["公交线路", "公交车辆实时位置", "出租车经营许可", "道路运输证", "港口吞吐量"]),
    ("福州市自然资源和规划局", "003561003", "自然资源", "公共管理、社会保障和社会组织", ["不动产登记", "国土空间规划", "建设用地审批", "测绘成果目录", "地质灾害隐患点"]),
    ("福州市市场监督管理局", "003561004", "市场监管", "公共管理、社会保障和社会组织", ["市场主体登记", "食品经营许可", "特种设备登记", "行政处罚信息", "抽检结果"]),
    ("福州市公安局", "003561005", "公共安全", "公共管理、社会保障和社会组织", ["户籍人口统计", "机动车登记", "驾驶证信息", "交通违法记录", "出入境证件办理"]),
    ("福州市人力资源和社会保障局", "003561006", "社会保障", "公共管理、社会保障和社会组织", ["社会保险参保", "就业登记", "职业技能证书", "劳动仲裁案件", "人才引进"]),
    ("福州市教育局", "003561007", "教育科技", "教育", ["学校基本信息", "学籍信息", "教师资格认定", "招生计划", "校车备案"]),
    ("福州市生态环境局", "003561008", "生态环境", "水利、环境和公共设施管理业", ["空气质量监测", "排污许可", "环评审批", "水质监测断面", "危险废物转移"]),
    ("福州市住房和城乡建设局", "003561009", "城乡建设", "建筑业", ["商品房预售许可", "建筑施工许可", "物业服务企业", "公租房保障", "建筑业企业资质"]),
    ("福州市民政局", "003561010", "民政社区", "公共管理、社会保障和社会组织", ["婚姻登记", "社会组织登记", "低保对象", "养老机构", "地名信息"]),
    ("福州市财政局", "003561011", "财政金融", "公共管理、社会保障和社会组织", ["预算公开", "政府采购项目", "非税收入", "行政事业单位资产", "专项资金拨付"]),
    ("福州市农业农村局", "003561012", "农业水利", "农、林、牧、渔业", ["农产品质量检测", "农机购置补贴", "家庭农场名录", "动物防疫", "高标准农田"]),
    ("福州市文化和旅游局", "003561013", "文化", "文化、体育和娱乐业", ["A级旅游景区", "旅行社名录", "文物保护单位", "演出许可", "公共图书馆"]),
    ("福州市应急管理局", "003561014", "公共安全", "公共管理、社会保障和社会组织", ["危险化学品企业", "安全生产许可", "应急避难场所", "自然灾害灾情", "应急物资储备"]),
    ("福州市统计局", "003561015", "经济管理", "公共管理、社会保障和社会组织", ["地区生产总值", "规模以上工业", "居民消费价格", "人口抽样调查", "经济普查"]),
]
SHARING_METHODS = ["接口", "文件", "库表"]
CYCLES = ["每5分钟", "每日", "每月", "每季度", "每年", "实时", "不定期", "每周"]
FORMATS = ["数据库表", "XLSX", "JSON", "CSV"]
HEADER = ["信息资源名称", "信息资源摘要", "信息资源提供方", "提供方代码", "信息资源代码", "主题分类",
          "数据分类", "数据分级", "共享属性", "共享条件", "不予共享依据", "共享方式", "开放属性",
          "开放条件", "更新周期", "信息资源格式", "发布日期"]

def good_row(d, di, ri, k):
    name, body, theme, industry, resources = d
    res = resources[ri % 5] + ("" if k == 0 else f"（{['', '年度', '月度', '区县', '历史'][k]}）")
    code = f"{di + 1:02d}{ri % 5 + 1:02d}/{k * 5 + ri % 5 + 1:06d}"
    sharing = ["无条件共享", "有条件共享", "不予共享"][(di + ri) % 3]
    cond = "仅用于政务服务，经申请审批后共享" if sharing == "有条件共享" else ""
    basis = "《中华人民共和国个人信息保护法》第十三条" if sharing == "不予共享" else ""
    opening = "不予开放" if sharing == "不予共享" else ["无条件开放", "有条件开放", "不予开放"][(di + 2 * ri) % 3]
    ocond = "脱敏后经审批开放" if opening == "有条件开放" else ""
    return [res, f"{name}掌握的{res}数据，用于{theme}领域的管理与服务。", name,
            uscc("11350100" + body), code, theme, industry, "一般数据" if ri % 4 else "重要数据",
            sharing, cond, basis, SHARING_METHODS[(di + ri) % 3], opening, ocond,
            CYCLES[(di + ri) % len(CYCLES)], FORMATS[ri % len(FORMATS)], f"2025-{(ri % 12) + 1:02d}-{(di % 28) + 1:02d}"]

rows = []
for di, d in enumerate(DEPTS):
    for ri in range(20):
        rows.append(good_row(d, di, ri, ri // 5))

def col(h):
    return HEADER.index(h)

# The bad rows, at fixed places (index into rows; spreadsheet row = index + 2).
bad = {}
r = rows[73]; r[col("提供方代码")] = r[col("提供方代码")][:17]; bad[73] = "malformed holder code (17 characters)"
r = rows[88]; c = r[col("提供方代码")]; r[col("提供方代码")] = c[:17] + ("0" if c[17] != "0" else "1"); bad[88] = "bad check digit"
r = rows[120]; r[col("数据分级")] = "核心数据"; bad[120] = "core data"
r = rows[141]; r[col("信息资源名称")] = ""; bad[141] = "missing name"
r = rows[160]; r[col("共享属性")] = "不予共享"; r[col("不予共享依据")] = "涉及个人隐私"; r[col("开放属性")] = "无条件开放"; r[col("开放条件")] = ""; bad[160] = "not shared but open"
r = rows[199]; r[col("共享属性")] = "有条件共享"; r[col("共享条件")] = ""; bad[199] = "conditional without conditions"
r = rows[222]; r[col("共享属性")] = "不予共享"; r[col("不予共享依据")] = ""; r[col("开放属性")] = "不予开放"; r[col("开放条件")] = ""; bad[222] = "not shared without basis"
r = rows[251]; r[col("更新周期")] = "每5秒"; bad[251] = "unknown update cycle"
r = rows[280]; r[col("信息资源代码")] = "1501 000081"; bad[280] = "malformed resource code"

with open("city-catalogue.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(HEADER)
    w.writerows(rows)
with open("city-catalogue.bad-rows.txt", "w", encoding="utf-8") as f:
    for i in sorted(bad):
        f.write(f"{i + 2}\t{bad[i]}\n")
