using System.CommandLine;
using AttackCore.Reporting;

namespace AttackCli;

/// <summary>The <c>schema</c> command: prints or writes the JSON Schemas of report.json and summary.json.</summary>
internal static class SchemaCommand
{
    public static Command Create(TextWriter output, TextWriter errors)
    {
        var which = new Argument<string?>("document")
        {
            Description = "report (report.json) or summary (summary.json): print that schema to standard output.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        which.AcceptOnlyFromAmong("report", "summary");
        var outDir = new Option<string?>("--out", "-o")
        {
            Description = "Write both schemas, report.schema.json and summary.schema.json, into this folder (created if missing); the repository keeps them in docs/.",
        };
        var command = new Command("schema", "Print or write the JSON Schemas (draft 2020-12) of report.json and summary.json, generated from the types that write them.") { which, outDir };
        command.SetAction(parse =>
        {
            string? document = parse.GetValue(which);
            string? folder = parse.GetValue(outDir);
            if (document is null && folder is null)
            {
                errors.WriteLine("error: name the schema to print (advaudit schema report, advaudit schema summary) or a folder to write both into (advaudit schema --out docs).");
                return 2;
            }

            if (document is not null)
            {
                output.Write(document == "report" ? ReportSchemas.Report() : ReportSchemas.Summary());
            }

            if (folder is not null)
            {
                string root = Path.GetFullPath(folder);
                Directory.CreateDirectory(root);
                File.WriteAllText(Path.Combine(root, ReportSchemas.ReportFileName), ReportSchemas.Report());
                File.WriteAllText(Path.Combine(root, ReportSchemas.SummaryFileName), ReportSchemas.Summary());
                (document is null ? output : errors).WriteLine($"Wrote {ReportSchemas.ReportFileName} and {ReportSchemas.SummaryFileName} into {root}.");
            }

            return 0;
        });
        return command;
    }
}
