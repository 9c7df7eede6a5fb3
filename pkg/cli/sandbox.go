package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// sandboxOptions are the flags of `rewardbatch sandbox`.
type sandboxOptions struct {
	addr, balance, duplicates, failMode, refField, tokenStyle string
	noDemoCards, bulkEchoRef                                  bool
	opts                                                      sandbox.Options
}

// AddFlags registers the flags.
func (o *sandboxOptions) AddFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	f := &o.opts.Faults
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8780", "address to listen on (loopback)")
	fs.StringVar(&o.balance, "balance", sandbox.DefaultBalance.Fixed2(), "funding balance of the reward account")
	fs.DurationVar(&o.opts.TokenTTL, "token-ttl", sandbox.DefaultTokenTTL, "life of an access token")
	fs.StringVar(&o.tokenStyle, "token-style", "snake", "token answer: snake (access_token) or camel (accessToken)")
	fs.BoolVar(&o.opts.Plain, "plain", false, "no AES envelope: plain JSON requests and answers")
	fs.StringVar(&o.duplicates, "duplicates", string(sandbox.DuplicateReject), "what a repeated reference does: reject, replay or apply-again")
	fs.StringVar(&o.opts.DuplicateAnswer, "duplicate-answer", sandbox.DuplicateCode1, "how --duplicates reject refuses: code1 (HTTP 200, code 1) or http409 (HTTP 409)")
	fs.StringVar(&o.opts.DuplicateMessage, "duplicate-message", "", `text of a duplicate refusal (default "Duplicate reference number", or "Transaction ID already exists" with http409)`)
	fs.StringVar(&o.refField, "reference-field", string(sandbox.RefNumber), "reference spelling the server binds: uniqueReferenceNumber, uniqueReferenceNum or both")
	fs.BoolVar(&o.opts.LookupNeedsCard, "lookup-needs-card", false, "transaction/all does not serve a lookup without enKashCardId (see --no-card-answer)")
	fs.StringVar(&o.opts.NoCardAnswer, "no-card-answer", sandbox.NoCardRefuse, "what a lookup without the card gets with --lookup-needs-card: refuse (code 1), empty (an empty list), null (payload null) or no-records (code 1, \"No records found\")")
	fs.DurationVar(&o.opts.LookupLag, "lookup-lag", 0, "a credit is invisible to transaction/all and search for this long after it was applied (a lagging replica)")
	fs.StringVar(&o.opts.NumberStyle, "number-style", sandbox.NumberPlain, "how balances and amounts are printed: plain (100, 900.25), double (Java: 100.0, 2.5E7) or string (\"100.00\")")
	fs.IntVar(&o.opts.PageSize, "page-size", 0, "page the answers of transaction/all and search by this many items, whatever the request asks (0: one unpaged answer)")
	fs.BoolVar(&o.opts.ListDrift, "list-drift", false, "the listing of every user (search without a filter) changes between its pages: "+
		"after each page the last user moves to the front, so offset paging repeats one user and skips another")
	fs.StringVar(&o.opts.PageStyle, "page-style", sandbox.PageRecords, "shape of a paged answer: records (pageNumber from 1; recordsCount, totalPages, data), spring (page from 0; content, totalElements, last), array (the page asked for as a bare list, no counts) or first-page (the first page as a bare list, whatever is asked)")
	fs.DurationVar(&o.opts.PendingFor, "pending-for", 0, "lookups show a new transaction as --pending-status for this long, then SUCCESS (or FAILED, see --pending-fail)")
	fs.StringVar(&o.opts.PendingStatus, "pending-status", sandbox.StatusPending, "the non-final status of --pending-for: PENDING, PROCESSING or CREATED")
	fs.Float64Var(&o.opts.PendingFail, "pending-fail", 0, "share of pending transactions that end FAILED, their points given back (seeded)")
	fs.BoolVar(&o.noDemoCards, "no-demo-cards", false, "start without the demo cards EKC1000001 to EKC1000040")
	fs.Uint64Var(&f.Seed, "seed", 1, "seed of the faults: the same seed fails the same rows")
	fs.DurationVar(&f.Latency, "latency", 0, "latency added to every API call")
	fs.DurationVar(&f.Jitter, "jitter", 0, "random extra latency, up to this much")
	fs.Float64Var(&f.FailBefore, "fail-before", 0, "share of allocation calls answered 5xx without applying")
	fs.IntVar(&f.FailBeforeStatus, "fail-before-status", 503, "status of --fail-before")
	fs.Float64Var(&f.Throttle, "throttle", 0, "share of calls to --throttle-endpoints answered 429")
	fs.DurationVar(&f.RetryAfter, "retry-after", time.Second, "Retry-After of a 429")
	fs.StringVar(&f.RetryAfterStyle, "retry-after-style", sandbox.RetryAfterSeconds, "Retry-After as seconds or as an HTTP date")
	fs.StringSliceVar(&f.ThrottleEndpoints, "throttle-endpoints", sandbox.DefaultThrottleEndpoints, "endpoints --throttle hits: token, account, lookup, search, allocate, bulk")
	fs.Float64Var(&f.ApplyThenFail, "apply-then-fail", 0, "share of allocation calls applied, then answered badly")
	fs.StringVar(&o.failMode, "fail-mode", string(sandbox.Fail502), "how apply-then-fail answers: 502, 503 or 504 (a gateway page), drop (close the connection) or hang")
	fs.Float64Var(&f.SlowApply, "slow-apply", 0, "share of first allocate requests that hold their reference's row for --slow-for before applying (a repeat waits on it)")
	fs.DurationVar(&f.SlowFor, "slow-for", 0, "how long a --slow-apply request holds its row")
	fs.Int64Var(&f.ExpireTokensEvery, "expire-tokens-every", 0, "a token runs out once N API calls have reached the sandbox since it was issued (0: never)")
	fs.IntVar(&f.TokenFailAfter, "token-fail-after", 0, "the token endpoint starts failing after this many successful token calls")
	fs.IntVar(&f.TokenFailCount, "token-fail-count", 0, "how many token calls then fail (0: every later one)")
	fs.StringVar(&f.TokenFailMode, "token-fail-mode", "", "how the token endpoint fails: 500, 503 or hang (default 503 when --token-fail-after or --token-fail-count is set)")
	fs.BoolVar(&f.FirstAttemptOnly, "first-attempt-only", false, "inject faults only on a reference's first send")
	o.addLimitFlags(cmd)
	o.addBulkFlags(cmd)
}

// addLimitFlags registers the flags of the server's own request limit.
func (o *sandboxOptions) addLimitFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.Float64Var(&o.opts.ServerRate, "server-rate", 0, "the server's request limit, calls per second over every API endpoint (token included): a token bucket; a call above it is answered 429 with --retry-after before anything is applied, counted \"throttled 429\" (0: no limit)")
	fs.IntVar(&o.opts.ServerBurst, "server-burst", 0, "size of the --server-rate bucket (default max(1, rate/10))")
	fs.DurationVar(&o.opts.LoadLatency, "load-latency", 0, "latency that grows with load: an admitted API call waits this × A ÷ --server-rate longer, A being the API calls admitted in the last second, itself included (about this much more at the limit); needs --server-rate")
}

// addBulkFlags registers the flags of the bulk endpoint.
func (o *sandboxOptions) addBulkFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	var reasons []string
	for _, r := range sandbox.BulkReasons {
		reasons = append(reasons, r.Name)
	}
	fs.StringVar(&o.opts.BulkAnswer, "bulk-answer", sandbox.BulkAnswerBoth, "shape of a bulk answer: both (success and failure lists), success (the success list only: failed items are absent) or counts (no lists); the counts are always there")
	fs.BoolVar(&o.bulkEchoRef, "bulk-echo-ref", true, "bulk success items echo uniqueReferenceNumber (false: a client must match them by e-mail or mobile, or look them up)")
	fs.Float64Var(&o.opts.Faults.BulkFail, "bulk-fail", 0, "share of bulk items that fail unapplied with a documented reason (seeded, per reference)")
	fs.StringVar(&o.opts.Faults.BulkRefuse, "bulk-refuse", "", "refuse every bulk call with HTTP 422 and this documented message, nothing applied: "+strings.Join(reasons, ", ")+", or the message itself")
	fs.StringVar(&o.opts.Faults.BulkBadRef, "bulk-bad-ref", "", "refuse with HTTP 400 every bulk call that carries this uniqueReferenceNumber, nothing applied (one item failing the server's validation)")
	fs.StringVar(&o.opts.Faults.BulkPartial400, "bulk-partial-400", "", "every bulk call that carries this uniqueReferenceNumber applies the items before it, then answers HTTP 400 for the whole call with the lists and counters of what it applied")
	fs.BoolVar(&o.opts.Faults.BulkPartial400HTML, "bulk-partial-400-html", false, "with --bulk-partial-400, the 400 is a gateway's HTML page that names nothing")
	fs.IntVar(&o.opts.BulkMax, "bulk-max", 0, "refuse a bulk array of more items with HTTP 400, nothing applied (0: no limit)")
}

func newSandboxCmd(g *globals) *cobra.Command {
	o := &sandboxOptions{}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve an EnKash Rewards API emulator on loopback, for trials and tests",
		Long: `sandbox serves the EnKash Rewards API paths on a loopback address with the same
token flow, AES envelope and response envelopes as EnKash, keeps a reward account,
cards and transactions in memory, and injects seeded faults on request. Nothing it
does moves real points. It prints its credentials at start; point rewardbatch at it
with the ENKASH_* variables it prints.

Inspection: GET /__sandbox/transactions and GET /__sandbox/stats.`,
		Example: `  # A plain sandbox
  rewardbatch sandbox --addr 127.0.0.1:8780

  # A hostile one: 50 ms latency, 10% 429s, 5% credits whose answer is lost,
  # and a service that applies a repeated reference again
  rewardbatch sandbox --latency 50ms --throttle 0.1 --apply-then-fail 0.05 \
      --fail-mode drop --duplicates apply-again --seed 7

  # A lagging, paging, Java back end behind Envoy whose lookups need the card
  rewardbatch sandbox --lookup-lag 5s --lookup-needs-card --no-card-answer null \
      --page-size 2 --page-style spring --number-style double \
      --apply-then-fail 0.05 --fail-mode 503 --pending-for 30s --pending-fail 0.05

  # A server that takes 200 calls a second and slows down near that limit,
  # whose bulk answers list only successes, without their references
  rewardbatch sandbox --server-rate 200 --load-latency 40ms \
      --bulk-answer success --bulk-echo-ref=false --bulk-fail 0.02 --bulk-max 500`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.complete(); err != nil {
				return exit(exitcode.Fatal, err)
			}
			sb, err := sandbox.New(o.opts).Start(o.addr)
			if err != nil {
				return exit(exitcode.Fatal, err)
			}
			printSandbox(g, sb)
			<-cmd.Context().Done()
			g.log.Info("sandbox stopping")
			return sb.Close(cmd.Context())
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func (o *sandboxOptions) complete() error {
	var err error
	if o.opts.Duplicates, err = sandbox.ParseDuplicatePolicy(o.duplicates); err != nil {
		return err
	}
	if o.opts.Faults.FailMode, err = sandbox.ParseFailMode(o.failMode); err != nil {
		return err
	}
	if o.opts.ReferenceField, err = sandbox.ParseReferenceField(o.refField); err != nil {
		return err
	}
	if o.tokenStyle != "snake" && o.tokenStyle != "camel" {
		return fmt.Errorf("--token-style %q: want snake or camel", o.tokenStyle)
	}
	o.opts.TokenStyle = o.tokenStyle
	o.opts.NoBulkEchoRef = !o.bulkEchoRef
	if !o.noDemoCards {
		o.opts.Cards = sandbox.DemoCards()
	}
	if o.opts.Balance, err = money.Parse(o.balance); err != nil {
		return fmt.Errorf("--balance: %w", err)
	}
	// PendingStatus may be typed in any case.
	if o.opts.PendingStatus, err = sandbox.ParsePendingStatus(o.opts.PendingStatus); err != nil {
		return fmt.Errorf("--pending-status: %w", err)
	}
	return o.opts.Check()
}

// sandboxEnv returns the ENKASH_* variables that point rewardbatch at sb,
// in the order `rewardbatch sandbox` prints them.
func sandboxEnv(sb *sandbox.Running) [][2]string {
	c := sb.Options().Credentials
	return [][2]string{
		{enkash.EnvBaseURL, sb.URL}, {enkash.EnvClientID, c.ClientID}, {enkash.EnvClientSecret, c.ClientSecret.Reveal()},
		{enkash.EnvUsername, c.Username}, {enkash.EnvPassword, c.Password.Reveal()}, {enkash.EnvPartnerID, c.PartnerID},
		{enkash.EnvCompanyID, c.CompanyID}, {enkash.EnvCardAccountID, c.CardAccountID},
		{enkash.EnvEncrypt, strconv.FormatBool(!sb.Options().Plain)},
	}
}

// sandboxConfig is the client configuration of `run --sandbox`: the one a
// person gets by exporting what `rewardbatch sandbox` prints.
func sandboxConfig(sb *sandbox.Running) (enkash.Config, error) {
	env := map[string]string{}
	for _, kv := range sandboxEnv(sb) {
		env[kv[0]] = kv[1]
	}
	return enkash.ConfigFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
}

func printSandbox(g *globals, sb *sandbox.Running) {
	fmt.Fprintf(g.stdout, "EnKash sandbox listening on %s (%s)\nUse it with:\n", sb.URL, sandbox.NoRealPoints)
	for _, kv := range sandboxEnv(sb) {
		fmt.Fprintf(g.stdout, "  export %s=%s\n", kv[0], kv[1])
	}
	fmt.Fprintf(g.stdout, "Inspect: %s/__sandbox/transactions  %s/__sandbox/stats\nStop with Ctrl-C.\n", sb.URL, sb.URL)
	g.log.Info("sandbox started", zap.String("url", sb.URL), zap.String("duplicates", string(sb.Options().Duplicates)))
}
