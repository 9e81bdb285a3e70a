using AttackCli.Tests.TestSupport;

namespace AttackCli.Tests;

public class ModelsCommandTests
{
    [Fact]
    public async Task Models_NoArguments_ListsPresetsWithDefaultFirst()
    {
        CliRun run = await CliRun.InvokeAsync("models");

        Assert.Equal(0, run.ExitCode);
        string[] lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("inception-v3 ", lines[1], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("mobilenet-v2 ", StringComparison.Ordinal) && l.Contains("--preset mobilenet-v2", StringComparison.Ordinal));
    }
}
