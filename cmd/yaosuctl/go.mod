module yaosu.dev/cmd/yaosuctl

go 1.26.0
