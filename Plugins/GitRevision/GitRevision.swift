import Foundation
import PackagePlugin

/// Gives the `bootcanary` target a `buildRevision` constant: the git commit of the checkout,
/// written by `packaging/git-revision` before every build (a prebuild command, so it runs even
/// when no input file changed: a new commit changes nothing SwiftPM tracks). The generated file
/// lives in the plugin's work directory under .build/, never in the source tree, so no
/// committed file can go stale; a tarball without .git builds too and says "unknown revision".
@main
struct GitRevision: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let package = context.package.directoryURL
        return [
            .prebuildCommand(
                displayName: "Reading the git revision of \(package.path(percentEncoded: false))",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [
                    package.appending(path: "packaging/git-revision").path(percentEncoded: false),
                    package.path(percentEncoded: false),
                    "--swift",
                    output.appending(path: "BuildRevision.swift").path(percentEncoded: false),
                ],
                outputFilesDirectory: output
            ),
        ]
    }
}
