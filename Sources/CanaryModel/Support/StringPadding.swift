extension String {
    /// `"7f3a2"` → `"07f3a2"`: left-pads to `width` (ProbeName's run ids).
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
