/// A one-line error for conditions the command itself finds.
public struct CLIError: Error, CustomStringConvertible {
    /// The message printed after "Error: ".
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
