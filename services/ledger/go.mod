module yaosu.dev/services/ledger

go 1.26.0

require (
	github.com/stretchr/testify v1.12.1
	yaosu.dev/pkg v0.0.0
)

require go.yaml.in/yaml/v3 v3.0.6 // indirect

replace yaosu.dev/pkg => ../../pkg
