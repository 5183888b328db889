package pgwire

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/jackc/pgproto3/v2"
)

const (
	scramMechanism  = "SCRAM-SHA-256"
	scramIterations = 4096
)

// scramKeys are the server's stored SCRAM credentials for Options.Password,
// derived once per server.
type scramKeys struct {
	salt      []byte
	storedKey []byte
	serverKey []byte
}

func (s *Server) scram() (*scramKeys, error) {
	s.scramOnce.Do(func() {
		salt := make([]byte, 16)
		_, _ = rand.Read(salt)
		salted, err := pbkdf2.Key(sha256.New, s.opts.Password, salt, scramIterations, sha256.Size)
		if err != nil {
			s.scramErr = err
			return
		}
		clientKey := hmacSHA256(salted, "Client Key")
		stored := sha256.Sum256(clientKey)
		s.scramKeys = &scramKeys{
			salt:      salt,
			storedKey: stored[:],
			serverKey: hmacSHA256(salted, "Server Key"),
		}
	})
	return s.scramKeys, s.scramErr
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// scramAuth runs a SCRAM-SHA-256 exchange (RFC 5802, RFC 7677, without
// channel binding) against Options.Password.
func (c *serverConn) scramAuth() bool {
	keys, err := c.s.scram()
	if err != nil {
		c.fatal("XX000", "SCRAM setup failed: %v", err)
		return false
	}
	c.send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{scramMechanism}})
	if c.flush() != nil {
		return false
	}
	_ = c.be.SetAuthType(pgproto3.AuthTypeSASL)
	msg, err := c.receive(false)
	if err != nil {
		if !c.isIOError(err) {
			c.protocolViolation(err)
		}
		return false
	}
	init, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok {
		c.protocolViolation(fmt.Errorf("expected SASL initial response, got %T", msg))
		return false
	}
	if init.AuthMechanism != scramMechanism {
		c.fatal("28000", "client selected an invalid SASL authentication mechanism")
		return false
	}
	// client-first-message: gs2-header "n,," or "y,," then the bare part.
	first := string(init.Data)
	var gs2 string
	switch {
	case strings.HasPrefix(first, "n,,"), strings.HasPrefix(first, "y,,"):
		gs2 = first[:3]
	default:
		c.fatal(codeInvalidAuthSpec, "malformed SCRAM message (unsupported channel binding)")
		return false
	}
	bare := first[3:]
	cnonce := scramAttr(bare, 'r')
	if cnonce == "" {
		c.fatal(codeInvalidAuthSpec, "malformed SCRAM message (missing nonce)")
		return false
	}
	snonceRaw := make([]byte, 18)
	_, _ = rand.Read(snonceRaw)
	nonce := cnonce + base64.StdEncoding.EncodeToString(snonceRaw)
	serverFirst := fmt.Sprintf("r=%s,s=%s,i=%d", nonce, base64.StdEncoding.EncodeToString(keys.salt), scramIterations)
	c.send(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)})
	if c.flush() != nil {
		return false
	}
	_ = c.be.SetAuthType(pgproto3.AuthTypeSASLContinue)
	msg, err = c.receive(false)
	if err != nil {
		if !c.isIOError(err) {
			c.protocolViolation(err)
		}
		return false
	}
	resp, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		c.protocolViolation(fmt.Errorf("expected SASL response, got %T", msg))
		return false
	}
	final := string(resp.Data)
	pi := strings.LastIndex(final, ",p=")
	if pi < 0 {
		c.fatal(codeInvalidAuthSpec, "malformed SCRAM message (missing proof)")
		return false
	}
	withoutProof := final[:pi]
	proof, err := base64.StdEncoding.DecodeString(final[pi+3:])
	if err != nil || len(proof) != sha256.Size {
		c.fatal(codeInvalidAuthSpec, "malformed SCRAM message (invalid proof)")
		return false
	}
	if scramAttr(withoutProof, 'c') != base64.StdEncoding.EncodeToString([]byte(gs2)) ||
		scramAttr(withoutProof, 'r') != nonce {
		c.fatal(codeInvalidAuthSpec, "malformed SCRAM message (channel binding or nonce mismatch)")
		return false
	}
	authMessage := bare + "," + serverFirst + "," + withoutProof
	sig := hmacSHA256(keys.storedKey, authMessage)
	clientKey := make([]byte, sha256.Size)
	for i := range clientKey {
		clientKey[i] = proof[i] ^ sig[i]
	}
	got := sha256.Sum256(clientKey)
	if subtle.ConstantTimeCompare(got[:], keys.storedKey) != 1 {
		c.authFailed()
		return false
	}
	serverSig := hmacSHA256(keys.serverKey, authMessage)
	c.send(&pgproto3.AuthenticationSASLFinal{Data: []byte("v=" + base64.StdEncoding.EncodeToString(serverSig))})
	return true
}

// codeInvalidAuthSpec is SQLSTATE invalid_authorization_specification.
const codeInvalidAuthSpec = "28000"

// scramAttr returns the value of attribute key in a SCRAM message.
func scramAttr(msg string, key byte) string {
	for _, part := range strings.Split(msg, ",") {
		if len(part) >= 2 && part[0] == key && part[1] == '=' {
			return part[2:]
		}
	}
	return ""
}
