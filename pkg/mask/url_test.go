package mask

import (
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want, secret string }{
		{"https://hooks.slack.com/services/T000/B000/XXXXsecret", "https://hooks.slack.com/services/***", "XXXXsecret"},
		{"https://example.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/secret", "https://example.webhook.office.com/webhookb2/***", "secret"},
		{"smtp://mailer:s3cret@mail.example.com:587?from=payroll@example.com", "smtp://mailer:***@mail.example.com:587?from=***", "s3cret"},
		{"https://ops.example.com/hook?token=abc123&x=1", "https://ops.example.com/hook?token=***&x=***", "abc123"},
		{"https://user@ops.example.com/", "https://user@ops.example.com/", ""},
		{"https://ops.example.com/hook#frag-secret", "https://ops.example.com/hook", "frag-secret"},
		{"not a url with secret", "***", "secret"},
		{"https://ntfy.example.com/Rb7xQ2payrollAlerts", "https://ntfy.example.com/***", "Rb7xQ2"},
		{"https://ops.example.com/notify", "https://ops.example.com/notify", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		got := URL(tt.in)
		if got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if tt.secret != "" && strings.Contains(got, tt.secret) {
			t.Errorf("URL(%q) = %q still shows %q", tt.in, got, tt.secret)
		}
	}
}
