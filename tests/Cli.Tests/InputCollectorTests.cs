using AttackCore.Tests.TestSupport;

namespace AttackCli.Tests;

/// <summary><c>-r</c> over folders with symbolic links: every real file once, and loops end.</summary>
public class InputCollectorTests
{
    [Fact]
    public void Collect_TwoSymlinkLoops_FinishesWithEachRealFileOnce()
    {
        using var temp = new TempFolder();
        string root = temp.File("in");
        Directory.CreateDirectory(Path.Combine(root, "a", "b"));
        File.WriteAllBytes(Path.Combine(root, "a", "one.png"), [1]);
        File.WriteAllBytes(Path.Combine(root, "a", "b", "two.png"), [2]);
        Directory.CreateSymbolicLink(Path.Combine(root, "a", "b", "up"), Path.Combine(root, "a"));   // a/b/up -> a
        Directory.CreateSymbolicLink(Path.Combine(root, "a", "self"), ".");                         // a/self -> a
        Directory.CreateSymbolicLink(Path.Combine(root, "again"), Path.Combine(root, "a", "b"));    // again -> a/b

        var collect = Task.Run(() => InputCollector.Collect([root], recursive: true, temp.File("out")));

        Assert.True(collect.Wait(TimeSpan.FromSeconds(20)), "the walk did not finish");
        (List<InputFile> inputs, List<string> missing) = collect.Result;
        Assert.Empty(missing);
        Assert.Equal(["a/b/two.png", "a/one.png"], inputs.Select(i => i.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Collect_LinkToAFileBesideIt_AttacksTheRealFileOnce()
    {
        using var temp = new TempFolder();
        string root = temp.File("in");
        Directory.CreateDirectory(root);
        File.WriteAllBytes(Path.Combine(root, "cat.png"), [1]);
        File.CreateSymbolicLink(Path.Combine(root, "kitty.png"), Path.Combine(root, "cat.png"));

        (List<InputFile> inputs, _) = InputCollector.Collect([root], recursive: true, temp.File("out"));

        Assert.Equal("cat.png", Assert.Single(inputs).Name);
    }

    [Fact]
    public void Collect_LinkedFolderOutsideTheArgument_IsFollowedOnce()
    {
        using var temp = new TempFolder();
        string elsewhere = temp.File("elsewhere");
        Directory.CreateDirectory(elsewhere);
        File.WriteAllBytes(Path.Combine(elsewhere, "x.png"), [1]);
        string root = temp.File("in");
        Directory.CreateDirectory(root);
        Directory.CreateSymbolicLink(Path.Combine(root, "link1"), elsewhere);
        Directory.CreateSymbolicLink(Path.Combine(root, "link2"), elsewhere);

        (List<InputFile> inputs, _) = InputCollector.Collect([root], recursive: true, temp.File("out"));

        Assert.Equal("link1/x.png", Assert.Single(inputs).Name);
    }

    [Fact]
    public void Collect_DanglingLink_IsStillListedSoItGetsItsError()
    {
        using var temp = new TempFolder();
        string root = temp.File("in");
        Directory.CreateDirectory(root);
        File.CreateSymbolicLink(Path.Combine(root, "gone.png"), Path.Combine(root, "nothing.png"));

        (List<InputFile> inputs, _) = InputCollector.Collect([root], recursive: true, temp.File("out"));

        Assert.Equal("gone.png", Assert.Single(inputs).Name);
    }
}
