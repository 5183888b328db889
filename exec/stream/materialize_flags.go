package stream

// AppendOnly reports whether the view's input never retracts (see
// SetAppendOnly): a sink reading the view can then be append-only.
func (m *Materialize) AppendOnly() bool { return m.appendOnly }
