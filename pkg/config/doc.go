// Package config gives every flag of a command its value from, in order of
// precedence: the command line, an environment variable, a YAML config file
// (--config FILE), or the flag's default. [Loader.Apply] does that on a
// pflag.FlagSet, once per command, before the command reads its flags;
// [Show] renders the result for `rewardbatch config show` with secrets
// masked. [DefaultPaths] gives the per-platform default ledger and report
// locations.
//
// The file's keys are the flag names. Top-level keys apply to every command
// that has such a flag; a section named after a command applies to that
// command only and wins over the top level:
//
//	reports-dir: /srv/rewardbatch/reports
//	log-format: json
//	notify:
//	  - https://hooks.slack.com/services/T0/B0/XXXX
//	run:
//	  workers: 8
//
// Each non-secret flag can also be set by REWARDBATCH_ plus its name in
// upper case with dashes as underscores (REWARDBATCH_REPORTS_DIR). Flags
// marked with [MarkSecret] are never read from REWARDBATCH_* variables (a
// caller may still name an established variable for them, such as
// ENKASH_PASSWORD, in [Loader.Aliases]), and a config file that holds one
// must not be readable by group or others.
package config
