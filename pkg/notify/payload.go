package notify

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Format is the shape of a webhook's body.
type Format string

// The webhook formats.
const (
	// JSON posts {"schemaVersion":1,"event":"run.finished",...,"summary":{summary.json}}.
	JSON Format = "json"
	// Slack posts {"text": ...}, what Slack's incoming webhooks (and
	// Mattermost's and Rocket.Chat's) accept.
	Slack Format = "slack"
	// Teams posts a message with an Adaptive Card, what a Teams Workflows
	// ("Post to a channel when a webhook request is received") accepts.
	Teams Format = "teams"
)

// SchemaVersion is the version of the JSON format's body. It changes only
// when a field is removed or changes meaning.
const SchemaVersion = 1

// ParseFormat reads a --notify-format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case JSON, Slack, Teams:
		return f, nil
	}
	return "", fmt.Errorf("notify format %q: give json, slack or teams", s)
}

// jsonBody is the body of the JSON format.
type jsonBody struct {
	SchemaVersion int             `json:"schemaVersion"`
	Event         string          `json:"event"`
	RunID         string          `json:"runId"`
	ExitCode      int             `json:"exitCode"`
	ExitMeaning   string          `json:"exitMeaning,omitempty"`
	StopReason    string          `json:"stopReason,omitempty"`
	Message       string          `json:"message,omitempty"`
	Sandbox       bool            `json:"sandbox"`
	Folder        string          `json:"folder,omitempty"`
	Text          string          `json:"text"`
	Summary       json.RawMessage `json:"summary,omitempty"`
}

// Body returns the webhook body of the event in a format.
func Body(f Format, e *Event) ([]byte, error) {
	switch f {
	case Slack:
		return json.Marshal(map[string]string{"text": slackText(e)})
	case Teams:
		return json.Marshal(teamsCard(e))
	case JSON, "":
		summary := e.Summary
		if len(summary) > 0 && !json.Valid(summary) {
			summary = nil
		}
		return json.Marshal(jsonBody{SchemaVersion: SchemaVersion, Event: "run.finished", RunID: e.RunID, ExitCode: e.ExitCode,
			ExitMeaning: e.ExitMeaning, StopReason: e.StopReason, Message: e.Message, Sandbox: e.Sandbox,
			Folder: e.Folder, Text: e.Text(), Summary: summary})
	}
	return nil, fmt.Errorf("notify: unknown format %q", f)
}

// slackText is the title in bold and one line per fact, in Slack's mrkdwn.
func slackText(e *Event) string {
	var b strings.Builder
	b.WriteString("*" + slackEscape(e.Title()) + "*")
	for _, f := range e.Facts() {
		fmt.Fprintf(&b, "\n*%s:* %s", f[0], slackEscape(f[1]))
	}
	return b.String()
}

// slackEscape escapes the three characters Slack reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// teamsCard is a message carrying one Adaptive Card: the title and a fact set.
func teamsCard(e *Event) map[string]any {
	facts := []map[string]string{}
	for _, f := range e.Facts() {
		facts = append(facts, map[string]string{"title": f[0], "value": f[1]})
	}
	color := "Good"
	if e.Failed() {
		color = "Attention"
	}
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body": []any{
			map[string]any{"type": "TextBlock", "text": e.Title(), "weight": "Bolder", "wrap": true, "color": color},
			map[string]any{"type": "FactSet", "facts": facts},
		},
	}
	return map[string]any{"type": "message", "attachments": []any{
		map[string]any{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": nil, "content": card},
	}}
}
