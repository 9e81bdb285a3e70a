using System.Diagnostics;
using System.Globalization;
using AttackCore.Engine;
using AttackCore.Models;

namespace AttackCli;

/// <summary>
/// Shows how far the run is (images done, queries, current best margin) on standard error: one line
/// redrawn in place on a terminal, a line every few seconds when redirected to a file.
/// </summary>
internal sealed class ProgressDisplay(TextWriter errors, int total)
{
    private static readonly TimeSpan RedirectedInterval = TimeSpan.FromSeconds(10);
    private readonly bool _interactive = ReferenceEquals(errors, Console.Error) && !Console.IsErrorRedirected;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan? _lastPrinted;
    private int _doneBefore;
    private long _queriesBefore;
    private int _lastLength;

    public void InputDone() => _doneBefore++;

    public IProgress<AttackProgress> ForBatch() => new SyncProgress(this);

    public void BatchDone(int images)
    {
        _doneBefore += images;
        _queriesBefore += _lastBatchQueries;
        _lastBatchQueries = 0;
    }

    public void Finish()
    {
        if (_interactive && _lastLength > 0)
        {
            errors.WriteLine();
        }
    }

    private long _lastBatchQueries;

    private void Show(AttackProgress progress)
    {
        _lastBatchQueries = progress.Queries;
        TimeSpan now = _clock.Elapsed;
        bool final = progress.ImagesDone == progress.ImagesTotal;
        if (!_interactive && !final && _lastPrinted is TimeSpan last && now - last < RedirectedInterval)
        {
            return;
        }

        _lastPrinted = now;
        string margin = progress.LowestMargin is double m ? m.ToString("0.000", CultureInfo.InvariantCulture) : "-";
        string line = string.Create(CultureInfo.InvariantCulture, $"[{_doneBefore + progress.ImagesDone}/{total} images] {_queriesBefore + progress.Queries:N0} queries, lowest margin {margin}, {now.TotalSeconds:0}s");
        if (_interactive)
        {
            errors.Write('\r' + line.PadRight(_lastLength));
            _lastLength = line.Length;
        }
        else
        {
            errors.WriteLine(line);
        }
    }

    private sealed class SyncProgress(ProgressDisplay owner) : IProgress<AttackProgress>
    {
        public void Report(AttackProgress value) => owner.Show(value);
    }
}

/// <summary>A download progress bar on standard error.</summary>
internal sealed class DownloadBar(TextWriter errors) : IProgress<DownloadProgress>
{
    private int _lastPercent = -1;

    public void Report(DownloadProgress value)
    {
        if (value.TotalBytes is long total && total > 0)
        {
            int percent = (int)(value.BytesReceived * 100 / total);
            if (percent != _lastPercent)
            {
                _lastPercent = percent;
                string bar = new string('#', percent / 4).PadRight(25, '.');
                errors.Write(string.Create(CultureInfo.InvariantCulture, $"\rDownloading model [{bar}] {percent,3}% of {total / 1048576.0:0.0} MiB"));
                if (percent == 100)
                {
                    errors.WriteLine();
                }
            }
        }
    }
}
