import ArgumentParser

/// `bootcanary analyze FILE...` — placeholder until the classifier lands (issue 3).
struct AnalyzeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "analyze", abstract: "Classify saved console logs.")
    @Argument var files: [String] = []
    func run() async throws { throw ExitCode(3) }
}
