package sandbox

import (
	"encoding/json"

	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// number renders an amount as the server prints numbers.
func (s *Server) number(a money.Amount) json.RawMessage {
	return json.RawMessage(a.String())
}
