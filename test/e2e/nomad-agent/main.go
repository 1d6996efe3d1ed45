// Command nomad-agent is a minimal entry point around Nomad v1.6.3's CLI, used
// only by the end-to-end tests to get a real `nomad` binary from the Go module
// proxy. It registers Nomad's own command table and hands it the arguments.
package main

import (
	"fmt"
	"os"

	// A Nomad client re-executes its own binary for helper processes
	// (`nomad logmon`, `nomad executor`, the artifact getter sandbox). Those
	// packages switch into that mode from init(), so they must be linked in and
	// initialised before the command package pulls in everything else.
	_ "github.com/hashicorp/nomad/client/allocrunner/taskrunner/getter"
	_ "github.com/hashicorp/nomad/client/logmon"
	_ "github.com/hashicorp/nomad/drivers/docker/docklog"
	_ "github.com/hashicorp/nomad/drivers/shared/executor"

	"github.com/hashicorp/nomad/command"
	"github.com/hashicorp/nomad/version"
	"github.com/mitchellh/cli"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	meta := new(command.Meta)
	meta.SetupUi(args)

	// The agent writes plain (uncoloured) text to the process's own streams.
	agentUI := &cli.BasicUi{Reader: os.Stdin, Writer: os.Stdout, ErrorWriter: os.Stderr}

	app := &cli.CLI{
		Name:       "nomad",
		Version:    version.GetVersion().FullVersionNumber(true),
		Args:       args,
		Commands:   command.Commands(meta, agentUI),
		HelpWriter: os.Stdout,
	}
	code, err := app.Run()
	if err != nil {
		fmt.Fprintf(os.Stderr, "nomad: %v\n", err)
		return 1
	}
	return code
}
