module example.com/demo

go 1.26.0

require (
	github.com/BurntSushi/toml v1.6.0
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/sync v0.25.0
)
