package types

import "fmt"

// Error is an error a user can cause, carrying the PostgreSQL SQLSTATE that
// the wire protocol reports. Every layer returns *Error for user-facing
// failures; anything else reaching the client is reported as XX000.
type Error struct {
	Code     string // SQLSTATE, e.g. "42P01"
	Message  string
	Detail   string
	Hint     string
	Position int // 1-based character position in the statement, 0 if unknown
}

func (e *Error) Error() string { return e.Message }

// Errorf builds an *Error with the given SQLSTATE.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// SQLSTATE codes used across the project.
const (
	CodeSuccessfulCompletion   = "00000"
	CodeFeatureNotSupported    = "0A000"
	CodeCardinalityViolation   = "21000"
	CodeDataException          = "22000"
	CodeStringRightTruncation  = "22001"
	CodeNumericOutOfRange      = "22003"
	CodeInvalidDatetimeFormat  = "22007"
	CodeDatetimeFieldOverflow  = "22008"
	CodeDivisionByZero         = "22012"
	CodeInvalidParameterValue  = "22023"
	CodeInvalidTextRepr        = "22P02"
	CodeInvalidEscapeSequence  = "22025"
	CodeInvalidBinaryRepr      = "22P03"
	CodeNotNullViolation       = "23502"
	CodeUniqueViolation        = "23505"
	CodeInvalidTxnState        = "25000"
	CodeInFailedTxn            = "25P02"
	CodeInvalidSQLStatement    = "26000"
	CodeSyntaxError            = "42601"
	CodeInsufficientPrivilege  = "42501"
	CodeUndefinedColumn        = "42703"
	CodeUndefinedFunction      = "42883"
	CodeUndefinedTable         = "42P01"
	CodeUndefinedObject        = "42704"
	CodeDuplicateTable         = "42P07"
	CodeDuplicateObject        = "42710"
	CodeDuplicateColumn        = "42701"
	CodeAmbiguousColumn        = "42702"
	CodeDatatypeMismatch       = "42804"
	CodeGroupingError          = "42803"
	CodeInvalidColumnRef       = "42P10"
	CodeWrongObjectType        = "42809"
	CodeDependentObjects       = "2BP01"
	CodeCannotCoerce           = "42846"
	CodeAmbiguousFunction      = "42725"
	CodeIndeterminateDatatype  = "42P18"
	CodeAmbiguousParameter     = "42P08"
	CodeProtocolViolation      = "08P01"
	CodeQueryCanceled          = "57014"
	CodeAdminShutdown          = "57P01"
	CodeInternal               = "XX000"
	CodeWindowingError         = "42P20"
	CodeUndefinedParameter     = "42P02"
	CodeInvalidSchemaName      = "3F000"
	CodeProgramLimitExceeded   = "54000"
	CodeInvalidTableDefinition = "42P16"
)
