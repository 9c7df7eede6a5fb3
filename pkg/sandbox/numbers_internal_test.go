package sandbox

import (
	"testing"

	"github.com/rewardbatch/rewardbatch/pkg/money"
)

func TestJavaDouble(t *testing.T) {
	t.Parallel()
	tests := []struct {
		hundredths int64
		want       string
	}{
		{0, "0.0"},
		{1, "0.01"},
		{10000, "100.0"},
		{90025, "900.25"},
		{999999999, "9999999.99"},
		{1000000000, "1.0E7"},
		{2500000000, "2.5E7"},
		{1234567800, "1.2345678E7"},
		{1000000050, "1.00000005E7"},
		{123456789012, "1.23456789012E9"},
		{-2500000000, "-2.5E7"},
		{-150, "-1.5"},
	}
	for _, tt := range tests {
		if got := javaDouble(money.FromHundredths(tt.hundredths)); got != tt.want {
			t.Errorf("javaDouble(%d hundredths) = %s, want %s", tt.hundredths, got, tt.want)
		}
	}
}
