// Package console is the HR web console (`rewardbatch serve`): upload an
// allocation file, check it with the dry run, have another person approve
// the plan, send it with the same job, engine and ledger as the CLI, and
// read the results. Pages are rendered on the server with html/template;
// the only script is the live progress of a run.
//
// The layout follows one small file per page or action (page_*.go,
// action_*.go), every route in routes.go, and one file per middleware
// (mw_*.go).
package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/engine"
	"github.com/rewardbatch/rewardbatch/pkg/job"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

// DefaultMaxUpload is the largest file accepted unless configured.
const DefaultMaxUpload = 20 << 20

// DefaultSessionIdle is how long a session lasts without a request.
const DefaultSessionIdle = 30 * time.Minute

// Config is what the console needs; the command line fills it.
type Config struct {
	// Folder holds the uploads and the check and run folders of every
	// batch (mode 0700; files 0600).
	Folder string
	// LedgerPath is the ledger every run records into, as the CLI's.
	LedgerPath string
	// Scope names the EnKash account in the ledger.
	Scope string
	// API is the EnKash client: runs and the balance shown to approvers.
	API job.Client
	// Validate are the validator's options shared by every batch (the
	// batch id is per upload).
	Validate validate.Options
	Engine   engine.Config
	// Sandbox says runs go to the embedded sandbox; every page says so.
	Sandbox bool
	// MaxUpload is the largest accepted file, in bytes.
	MaxUpload int64
	// ApprovalThreshold, when set, makes a plan crediting more points
	// need two approvers.
	ApprovalThreshold *money.Amount
	SessionIdle       time.Duration
	// SecureCookies sets the Secure attribute (HTTPS, or loopback, which
	// browsers treat as secure).
	SecureCookies bool
	// TrustProxyHeader names a header (X-Forwarded-User) that signs in the
	// user it names, honoured only from TrustedProxies.
	TrustProxyHeader string
	TrustedProxies   []netip.Prefix
	Version          string
	Log              *zap.Logger
}

// Server is the console.
type Server struct {
	cfg    Config
	store  *store.Store
	pages  *pages
	runner *runner
	limit  *loginLimiter
	mux    http.Handler
}

// New returns a console over st. Batches left running by an earlier
// process are marked stopped: a run goes on only while its server does.
func New(ctx context.Context, cfg Config, st *store.Store) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = DefaultMaxUpload
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = DefaultSessionIdle
	}
	if cfg.API == nil || cfg.LedgerPath == "" || cfg.Folder == "" {
		return nil, errors.New("console: the API, the ledger path and the folder are required")
	}
	if err := os.MkdirAll(filepath.Join(cfg.Folder, batchesDir), 0o700); err != nil {
		return nil, fmt.Errorf("console: creating %s: %w", cfg.Folder, err)
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	if ids, err := st.MarkInterrupted(ctx); err != nil {
		return nil, err
	} else if len(ids) > 0 {
		cfg.Log.Warn("batches left running by an earlier server are marked stopped", zap.Strings("batches", ids))
	}
	s := &Server{cfg: cfg, store: st, pages: p, limit: newLoginLimiter()}
	s.runner = newRunner(s)
	s.mux = s.routes()
	return s, nil
}

// Handler serves the console.
func (s *Server) Handler() http.Handler { return s.mux }

// Shutdown stops dispatching of the runs in progress and waits until each
// has written its reports, or ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.runner.shutdown(ctx) }

// batchesDir is the folder, under Config.Folder, of the batches.
const batchesDir = "batches"

// batchDir is the folder of one batch: its upload, its check and its run.
func (s *Server) batchDir(id string) string { return filepath.Join(s.cfg.Folder, batchesDir, id) }

// uploadPath is where a batch's file is kept; never a name the user gave.
// A workbook is kept as upload.xlsx (see workbookPath).
func (s *Server) uploadPath(id string) string {
	p := filepath.Join(s.batchDir(id), "upload.csv")
	if _, err := os.Stat(workbookPath(p)); err == nil {
		return workbookPath(p)
	}
	return p
}

// workbookPath is where an uploaded file that turned out to be a workbook
// is kept.
func workbookPath(csvPath string) string { return strings.TrimSuffix(csvPath, ".csv") + ".xlsx" }

func (s *Server) checkDir(id string) string { return filepath.Join(s.batchDir(id), "check") }

func (s *Server) now() time.Time { return time.Now() }
