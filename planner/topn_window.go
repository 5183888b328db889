package planner

import "strings"

// windowCleanupDesc tells EXPLAIN that a TopN partitioned by a window
// bound (window_start or window_end) deletes a window's state once a
// watermark closes it; "" when no partition column is one.
func windowCleanupDesc(cols []Column, partition []int) string {
	for _, c := range partition {
		if c < len(cols) && (strings.HasSuffix(cols[c].Name, "window_start") || strings.HasSuffix(cols[c].Name, "window_end")) {
			return " (closed windows' state cleaned by watermark on " + cols[c].Name + ")"
		}
	}
	return ""
}
