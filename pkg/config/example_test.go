package config_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/rewardbatch/rewardbatch/pkg/config"
)

// A command applies the environment and the config file to its flags once,
// after parsing the command line and before reading the flags.
func ExampleLoader_Apply() {
	dir, _ := os.MkdirTemp("", "config-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "rewardbatch.yaml")
	_ = os.WriteFile(path, []byte("reports-dir: /srv/reports\nworkers: 4\nrun:\n  workers: 8\n"), 0o600)

	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.String(config.FlagName, "", "config file")
	reports := fs.String("reports-dir", "reports", "")
	workers := fs.Int("workers", 16, "")
	rate := fs.Float64("rate", 50, "")
	_ = fs.Parse([]string{"--config", path, "--rate", "20"})

	env := map[string]string{"REWARDBATCH_REPORTS_DIR": "/env/reports"}
	file, err := config.Load(config.PathFrom(fs, func(string) (string, bool) { return "", false }))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = config.Loader{Command: "run", File: file, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}.Apply(fs)
	fmt.Println(*reports, *workers, *rate, err)
	// Output: /env/reports 8 20 <nil>
}
