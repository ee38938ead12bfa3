module yaosu.dev/cmd/yaosu

go 1.26.0
