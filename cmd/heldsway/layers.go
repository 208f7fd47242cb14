package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// envName is the environment variable that sets flag name.
func envName(name string) string {
	return "HELDSWAY_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// applyLayers fills every flag the user did not set on the command line
// from the environment, then from the config file. Flags keep their
// defaults when neither names them.
func applyLayers(cmd *cobra.Command) error {
	file := map[string]any{}
	path, _ := cmd.Flags().GetString("config")
	if path == "" {
		path = os.Getenv(envName("config"))
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading config file: %w", err)
		}
		if err := yaml.Unmarshal(b, &file); err != nil {
			return fmt.Errorf("parsing config file %s: %w", path, err)
		}
	}
	known := map[string]bool{}
	var errs []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		known[f.Name] = true
		known[strings.ReplaceAll(f.Name, "-", "_")] = true
		if f.Changed || f.Name == "config" || f.Name == "help" {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if err := setFlag(f, v); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", envName(f.Name), err))
			}
			return
		}
		v, ok := file[f.Name]
		if !ok {
			v, ok = file[strings.ReplaceAll(f.Name, "-", "_")]
		}
		if ok {
			if err := setFlag(f, v); err != nil {
				errs = append(errs, fmt.Sprintf("config %s: %v", f.Name, err))
			}
		}
	})
	for k := range file {
		if !known[k] && !sharedKey(k) {
			errs = append(errs, fmt.Sprintf("config file %s: unknown key %q for `%s`", path, k, cmd.CommandPath()))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// sharedKey reports config-file keys that belong to other subcommands, so
// one file can configure the whole stack.
func sharedKey(k string) bool {
	for _, name := range allFlagNames {
		if k == name || k == strings.ReplaceAll(name, "-", "_") {
			return true
		}
	}
	return false
}

// setFlag sets f from an environment string or a YAML value.
func setFlag(f *pflag.Flag, v any) error {
	switch x := v.(type) {
	case []any:
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			ss := make([]string, len(x))
			for i, e := range x {
				ss[i] = fmt.Sprint(e)
			}
			return sv.Replace(ss)
		}
		return fmt.Errorf("a list is not valid here")
	case map[string]any:
		return fmt.Errorf("a mapping is not valid here")
	case nil:
		return nil
	default:
		if err := f.Value.Set(fmt.Sprint(x)); err != nil {
			return err
		}
		f.Changed = true
		return nil
	}
}
