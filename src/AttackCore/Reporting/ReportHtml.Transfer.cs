using System.Text;

namespace AttackCore.Reporting;

/// <content>The transfer section: what other models said about the clean and the adversarial image.</content>
public static partial class ReportHtml
{
    private static void AppendTransfer(StringBuilder sb, AttackReport r)
    {
        if (r.Transfer is not { Count: > 0 } transfer)
        {
            return;
        }

        sb.Append("<section>\n<h2>Transfer to other models</h2>\n")
          .Append("<p class=\"legend\">clean.png and adversarial.png, resized and cropped to each model's input, classified by models that were not attacked.</p>\n")
          .Append("<table id=\"transfer\">\n<tr><th>model</th><th>clean top-1</th><th>adversarial top-1</th><th>agrees on clean</th><th>fooled</th></tr>\n");
        foreach (TransferResult t in transfer)
        {
            sb.Append(Inv, $"<tr><td>{E(t.Model.Name)}</td><td>{Top1(t.CleanTop5)}</td><td>{Top1(t.AdversarialTop5)}</td><td>{(t.AgreesOnClean ? "yes" : "no")}</td><td>{(t.Fooled ? "yes" : "no")}</td></tr>\n");
        }

        sb.Append("</table>\n</section>\n");

        static string Top1(IReadOnlyList<ClassScore> top) =>
            top.Count > 0 ? E($"{top[0].Label} (#{top[0].Index.ToString(Inv)}, {Pct(top[0].Probability)})") : "-";
    }
}
