module github.com/spantree/spantree

go 1.26

require github.com/spantree/spantree/runtime v0.0.0-00010101000000-000000000000

require github.com/google/go-cmp v0.7.0

replace github.com/spantree/spantree/runtime => ./runtime
