module github.com/spantree/spantree/runtime

go 1.22
