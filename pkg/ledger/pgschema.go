package ledger


