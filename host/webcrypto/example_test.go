package webcrypto_test

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/webcrypto"
	"github.com/bindery-run/bindery/host/webcrypto/cryptowit"
)

// A guest imports a key, keeps what the host returns, and passes it back
// with each operation; failures are WebCrypto's DOMException names.
func ExampleSubtle() {
	ctx := context.Background()
	s := webcrypto.New()
	ck, _ := s.ImportKey(ctx, cryptowit.KeyFormatJwk, []byte(`{"kty":"oct","k":"SmVmZQ","alg":"HS256"}`),
		cryptowit.AlgorithmNameHmac, abi.Some(cryptowit.HashSha256), cryptowit.KeyParams{})
	fmt.Println(ck.Key.Kind == cryptowit.KeyTypeSecret, ck.Params.Length.Value)

	mac, _ := s.Sign(ctx, cryptowit.SignParams{Tag: cryptowit.SignParamsHmac}, ck.Key, []byte("what do ya want for nothing?"))
	fmt.Println(hex.EncodeToString(mac))

	_, e := s.ExportKey(ctx, cryptowit.KeyFormatSpki, ck.Key)
	fmt.Println(e)
	// Output:
	// true 32
	// 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843
	// not-supported: HMAC keys cannot be exported as spki
}
