using System.Text;
using AttackCore.Reporting;

namespace AttackCore.Engine;

/// <summary>One file of an input's result folder.</summary>
/// <param name="Name">The file name inside the folder (e.g. <c>adversarial.png</c>).</param>
/// <param name="Content">The bytes (text as UTF-8, without a byte order mark).</param>
/// <param name="ContentType">The content type, for stores that keep one.</param>
public sealed record ResultFolderFile(string Name, byte[] Content, string ContentType);

/// <summary>
/// What an input's result folder holds, in the order it is written, for every writer (the command line's folders
/// and the Functions app's blobs): the images, <c>report.html</c>, then <see cref="ReportMarker"/> last, the folder's
/// completion marker; or only <see cref="ErrorMarker"/> for a rejected input.
/// </summary>
public static class ResultFolder
{
    /// <summary>The report, written last: a folder that has it is complete.</summary>
    public const string ReportMarker = "report.json";

    /// <summary>The error report of a rejected input, the only file of its folder.</summary>
    public const string ErrorMarker = "error.json";

    /// <summary>The report's HTML view.</summary>
    public const string ReportHtml = "report.html";

    /// <summary>Gets whether a file name is a completion marker (<see cref="ReportMarker"/> or <see cref="ErrorMarker"/>).</summary>
    /// <param name="name">The file name.</param>
    /// <returns><see langword="true"/> for a marker.</returns>
    public static bool IsMarker(string name) => name is ReportMarker or ErrorMarker;

    /// <summary>Lists the files of a result, in writing order, the marker last.</summary>
    /// <param name="result">The result.</param>
    /// <returns>The files.</returns>
    public static IReadOnlyList<ResultFolderFile> Files(ImageResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var files = new List<ResultFolderFile>();
        if (result.CleanPng.Length > 0)
        {
            files.Add(new(result.Report.Images.Clean, result.CleanPng, "image/png"));
        }

        if (result.AdversarialPng is not null && result.Report.Images.Adversarial is string adversarial)
        {
            files.Add(new(adversarial, result.AdversarialPng, "image/png"));
        }

        if (result.PerturbationPng is not null && result.Report.Images.Perturbation is string perturbation)
        {
            files.Add(new(perturbation, result.PerturbationPng, "image/png"));
        }

        files.Add(new(ReportHtml, Encoding.UTF8.GetBytes(result.ReportHtmlText()), "text/html; charset=utf-8"));
        files.Add(new(ReportMarker, Encoding.UTF8.GetBytes(result.ReportJsonText()), "application/json"));
        return files;
    }

    /// <summary>Lists the files of a rejected input's folder: its error report alone.</summary>
    /// <param name="report">The error report (a derived record writes its added fields too).</param>
    /// <returns>The files.</returns>
    public static IReadOnlyList<ResultFolderFile> Files(InputErrorReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return [new(ErrorMarker, Encoding.UTF8.GetBytes(report.ToJson()), "application/json")];
    }
}
