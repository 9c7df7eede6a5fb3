// Package reward holds the domain types every stage of rewardbatch shares:
// the operation and allocation a row asks for, the checked item with its
// issues, the statuses and outcome of a row, EnKash's receipt, and the
// ledger's prior record of a reference. It imports nothing of the project
// but money, so that the reader, the validator, the engine, the ledger and
// the reports can agree on these types without importing each other.
package reward

// NoRealPoints is said by every output of a run against a sandbox.
const NoRealPoints = "SANDBOX: no real points moved"
