package enkash

import (
	"encoding/json"
	"testing"

	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// benchBody is a create-allocate-points body of the usual size (about 330
// bytes).
func benchBody(b *testing.B) []byte {
	b.Helper()
	plain, err := json.Marshal(AllocateRequest{
		CompanyID: "CEKSANDBOX1", CardAccountID: "CASANDBOX1", TransactionCode: TransactionCodeAllocation,
		TransactionType: TypeCredit, Type: KindAllocatePoint, Email: "siddharth.naidu1@example.com", Mobile: "7000007919",
		Title: "Mr", FirstName: "Siddharth Naidu", Gender: "M", LoadAmount: money.FromHundredths(125050),
		UniqueReferenceNumber: "NOV26-000001",
	})
	if err != nil {
		b.Fatal(err)
	}
	return plain
}

// BenchmarkSealJSON and BenchmarkOpenJSON are the client's envelope cost
// per request and per answer:
//
//	go test -run '^$' -bench 'SealJSON|OpenJSON' -benchmem ./pkg/enkash
func BenchmarkSealJSON(b *testing.B) {
	k := DeriveKey("sandbox-client-secret")
	plain := benchBody(b)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		_ = SealJSON(k, plain)
	}
}

func BenchmarkOpenJSON(b *testing.B) {
	k := DeriveKey("sandbox-client-secret")
	plain := benchBody(b)
	sealed := SealJSON(k, plain)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := OpenJSON(k, sealed); err != nil {
			b.Fatal(err)
		}
	}
}
