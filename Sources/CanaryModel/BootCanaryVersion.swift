/// The version reported in transcripts and run records.
public enum BootCanaryVersion {
    public static let current = "0.1.0"
}
