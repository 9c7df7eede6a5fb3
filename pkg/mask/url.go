package mask

import (
	"net/url"
	"strings"
)

// URL hides the secrets a URL may carry, for logs, errors and `config
// show`: the password of its user information, every query value, and every
// path segment after the first, and a lone segment that is not a short
// word such as "hook" (webhook URLs such as Slack's
// /services/T0/B0/XXXX or Teams' /webhookb2/... carry their token in the
// path). The scheme, user name, host, port, first path segment and query
// keys stay, so a reader can still tell which endpoint is meant.
// "https://hooks.slack.com/services/T0/B0/XX" becomes
// "https://hooks.slack.com/services/***". A string that does not parse as
// a URL with a host is hidden whole.
func URL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		if s == "" {
			return ""
		}
		return "***"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "***")
		}
	}
	first, rest, cut := strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	switch {
	case cut && rest != "":
		u.RawPath, u.Path = "", "/"+first+"/***"
	case first != "" && !isWord(first):
		u.RawPath, u.Path = "", "/***"
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{"***"}
		}
		u.RawQuery = q.Encode()
	}
	u.Fragment = ""
	// url.URL.String escapes the asterisks of the user information.
	return strings.ReplaceAll(u.String(), "%2A%2A%2A", "***")
}

// isWord reports whether a path segment is a short word, such as "hook" or
// "notify", rather than something that could be a token.
func isWord(s string) bool {
	if len(s) > 12 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && r != '-' && r != '_' {
			return false
		}
	}
	return true
}
