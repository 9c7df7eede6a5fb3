package reward

// Receipt is what EnKash answered for an applied row: its echo of our
// reference and its own ids.
type Receipt struct {
	PGReferenceNumber string // EnKash's echo of our uniqueReferenceNumber
	EnKashCardID      string // the card credited or debited
	EnkashCardTxnID   string // EnKash's transaction id
	OTBBalance        string // the card's balance after the row, as EnKash printed it
}
