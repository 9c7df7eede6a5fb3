// Package htmlreport writes summary.html into a run folder: one
// self-contained page (no script, no external style sheet, font or image)
// for an approver or a manager who will not open a CSV file: the plan, the
// totals per operation, the statuses with their counts and points, the rows
// that need attention with the reason and the next step, the balance when
// known, who ran it on which host, and which file (name and SHA-256).
package htmlreport
