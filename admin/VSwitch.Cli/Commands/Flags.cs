using System.CommandLine;

namespace VSwitch.Cli.Commands;

/// <summary>Small shared pieces of the verb definitions: pairs of opposite flags and repeatable options.</summary>
internal static class Flags
{
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    public static Option<string?> Text(string name, string description, string helpName) =>
        new(name) { Description = description, HelpName = helpName };

    public static Option<string[]> Many(string name, string description, string helpName) =>
        new(name) { Description = description, HelpName = helpName, AllowMultipleArgumentsPerToken = false };

    /// <summary>The value of a pair of opposite flags: true, false, or null when neither is given; both is a usage error.</summary>
    public static bool? Either(ParseResult parse, Option<bool> yes, Option<bool> no)
    {
        var y = parse.GetValue(yes);
        var n = parse.GetValue(no);
        if (y && n)
        {
            throw new UsageException($"{yes.Name} and {no.Name} are mutually exclusive");
        }
        return y ? true : n ? false : null;
    }

    /// <summary>The names of the command's positional resources (one or more, as <c>delete A B</c>).</summary>
    public static Argument<string[]> Names(string name, string description) =>
        new(name) { Description = description, Arity = ArgumentArity.OneOrMore };

    public static Argument<string> Name(string name, string description) => new(name) { Description = description };
}
