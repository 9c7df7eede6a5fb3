package enkash

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func fullEnv() map[string]string {
	return map[string]string{
		EnvBaseURL: "https://pay-uat.enkash.in", EnvClientID: "CID", EnvClientSecret: "top-secret-value",
		EnvUsername: "9000000001", EnvPassword: "hunter2-password", EnvPartnerID: "P", EnvCompanyID: "C",
		EnvCardAccountID: "A",
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	cfg, err := ConfigFromEnv(envOf(fullEnv()))
	require.NoError(t, err)
	require.NoError(t, cfg.Validate())
	assert.True(t, cfg.Encrypt, "encryption is on by default")
	assert.Equal(t, RefNumber, cfg.ReferenceField)
	assert.Equal(t, "https://pay-uat.enkash.in/oauth/token", cfg.tokenURL(), "the token URL defaults to the base URL")

	env := fullEnv()
	env[EnvEncrypt] = "false"
	env[EnvTokenURL] = "https://ekpayout-uat.enkash.in/"
	env[EnvRefField] = "both"
	cfg, err = ConfigFromEnv(envOf(env))
	require.NoError(t, err)
	assert.False(t, cfg.Encrypt)
	assert.Equal(t, RefBoth, cfg.ReferenceField)
	assert.Equal(t, "https://ekpayout-uat.enkash.in/oauth/token", cfg.tokenURL())
}

func TestConfigNamesWhatIsMissingOrWrong(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(map[string]string)
		want string
	}{
		{"one missing", func(m map[string]string) { delete(m, EnvClientSecret) }, "missing setting ENKASH_CLIENT_SECRET"},
		{"several missing", func(m map[string]string) { delete(m, EnvPassword); delete(m, EnvPartnerID) },
			"missing setting ENKASH_PASSWORD, ENKASH_PARTNER_ID"},
		{"bad url", func(m map[string]string) { m[EnvBaseURL] = "pay-uat.enkash.in" }, `ENKASH_BASE_URL="pay-uat.enkash.in" is not an http(s) URL`},
		{"bad bool", func(m map[string]string) { m[EnvEncrypt] = "perhaps" }, `ENKASH_ENCRYPT="perhaps": want true or false`},
		{"bad ref field", func(m map[string]string) { m[EnvRefField] = "ref" }, `want uniqueReferenceNumber, uniqueReferenceNum or both`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := fullEnv()
			tt.edit(env)
			cfg, err := ConfigFromEnv(envOf(env))
			if err == nil {
				err = cfg.Validate()
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	t.Parallel()
	cfg, err := ConfigFromEnv(envOf(fullEnv()))
	require.NoError(t, err)
	js, err := json.Marshal(cfg)
	require.NoError(t, err)
	for _, out := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), string(js)} {
		assert.NotContains(t, out, "top-secret-value")
		assert.NotContains(t, out, "hunter2-password")
		assert.Contains(t, out, "[redacted]")
	}
}
