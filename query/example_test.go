package query_test

import (
	"fmt"

	"github.com/spantree/spantree/query"
)

func ExampleParse() {
	e, err := query.Parse(`service:shop  AND status:failed NOT (name:"pay now" OR duration>2s)`)
	if err != nil {
		panic(err)
	}
	fmt.Println(e)
	_, err = query.Parse("service:shop duration>")
	fmt.Println(err)
	// Output:
	// service:shop status:failed -(name:"pay now" OR duration>2s)
	// at 23: want a value after 'duration>'
}
