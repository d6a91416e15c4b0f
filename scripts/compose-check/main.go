// compose-check loads a Compose file with compose-go, the Compose Specification's reference loader
// that `docker compose` itself is built on, so no Docker engine or compose plugin is needed. Loading
// runs the spec's JSON-schema validation, variable interpolation and the consistency checks
// (depends_on on an unknown service, undeclared volumes or networks, bad healthcheck tests).
// It prints the resolved model as JSON with every profile enabled, so tests can assert on exactly
// what Compose would run. The environment is not read: the model is what a user with no .env and
// no exported variables gets, and no secret from the caller's shell can end up in the output.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check <compose-file>")
		os.Exit(2)
	}
	file := os.Args[1]
	options, err := cli.NewProjectOptions(
		[]string{file},
		cli.WithEnv([]string{}),
		cli.WithProfiles([]string{"*"}),
	)
	if err != nil {
		fail(file, err)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fail(file, err)
	}
	model, err := project.MarshalJSON()
	if err != nil {
		fail(file, err)
	}
	fmt.Println(string(model))
}

func fail(file string, err error) {
	fmt.Fprintf(os.Stderr, "%s: invalid Compose file: %v\n", file, err)
	os.Exit(1)
}
