// A Go service whose one dependency is vendored (vendor/ is committed, as for a build
// machine that cannot reach a module proxy).
package main

import (
	"fmt"
	"net/http"
	"os"

	"example.com/quote"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, quote.Go())
	})
	http.ListenAndServe(":"+os.Getenv("PORT"), nil)
}
