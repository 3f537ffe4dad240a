using System.Text.RegularExpressions;

namespace HappiTrack.Web.Tests.Architecture;

/// <summary>
/// The folders under <c>HappiTrack.Web/Features</c> must form an acyclic graph (docs/ARCHITECTURE.md
/// gives the allowed direction), so each feature can be read, changed and tested from its own
/// dependencies down. Read from the source rather than the compiled assembly: a <c>using</c> of a
/// sibling feature is what a reader sees, and it is there even when the types only meet in IL.
/// </summary>
public sealed class FeatureGraphTests
{
    [Fact]
    public void The_feature_folders_depend_on_each_other_without_a_cycle()
    {
        var graph = FeatureGraph.Read(FeatureGraph.FeaturesDirectory());

        Assert.True(graph.Features.Count >= 10, $"Expected the Features folders, found: {string.Join(", ", graph.Features)}");
        var cycles = graph.Cycles();
        Assert.True(cycles.Count == 0, "Feature folders that depend on each other in a cycle:\n" + string.Join("\n", cycles.Select(graph.Explain)));
    }

    [Fact]
    public void A_cycle_through_a_using_directive_or_a_qualified_name_is_reported()
    {
        var graph = FeatureGraph.Parse(new Dictionary<string, string>
        {
            ["Catalog/Product.cs"] = "namespace HappiTrack.Web.Features.Catalog;\npublic sealed class Product { public Rules.RuleThing? Thing { get; set; } }",
            ["Rules/RuleThing.cs"] = "using HappiTrack.Web.Features.Nudges;\nnamespace HappiTrack.Web.Features.Rules;\npublic sealed class RuleThing;",
            ["Nudges/Nudge.cs"] = "namespace HappiTrack.Web.Features.Nudges;\npublic sealed class Nudge { HappiTrack.Web.Features.Catalog.Product? P; }",
            ["Tokens/Token.cs"] = "using HappiTrack.Web.Features.Catalog;\nnamespace HappiTrack.Web.Features.Tokens;\n// Rules.Nothing is not a type of Rules\npublic sealed class Token { string Rules = \"\"; int N => Rules.Length; }",
        });

        var cycle = Assert.Single(graph.Cycles());
        Assert.Equal(["Catalog", "Nudges", "Rules"], cycle.Order());
        Assert.Equal(["Catalog"], graph.DependenciesOf("Tokens"));
    }

    [Fact]
    public void A_graph_without_a_cycle_passes()
    {
        var graph = FeatureGraph.Parse(new Dictionary<string, string>
        {
            ["Catalog/Product.cs"] = "namespace HappiTrack.Web.Features.Catalog;\npublic sealed class Product;",
            ["Cart/Cart.cs"] = "using HappiTrack.Web.Features.Catalog;\nnamespace HappiTrack.Web.Features.Cart;\npublic sealed class Cart;",
            ["Rules/Rule.cs"] = "using HappiTrack.Web.Features.Cart;\nusing HappiTrack.Web.Features.Catalog;\nnamespace HappiTrack.Web.Features.Rules;\npublic sealed class Rule;",
        });

        Assert.Empty(graph.Cycles());
    }
}

/// <summary>Which feature folder refers to which, with the files that make each edge.</summary>
internal sealed partial class FeatureGraph
{
    private readonly Dictionary<string, Dictionary<string, SortedSet<string>>> _edges = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Features { get; }

    private FeatureGraph(IReadOnlyList<string> features) => Features = features;

    public static string FeaturesDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var features = Path.Combine(dir.FullName, "HappiTrack.Web", "Features");
            if (File.Exists(Path.Combine(dir.FullName, "HappiTrack.sln")) && Directory.Exists(features)) return features;
        }
        throw new DirectoryNotFoundException("HappiTrack.Web/Features not found above " + AppContext.BaseDirectory);
    }

    public static FeatureGraph Read(string featuresDirectory) =>
        Parse(Directory.EnumerateFiles(featuresDirectory, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .ToDictionary(f => Path.GetRelativePath(featuresDirectory, f).Replace(Path.DirectorySeparatorChar, '/'), File.ReadAllText));

    /// <param name="files">Path relative to <c>Features/</c> (its first segment is the feature) → source.</param>
    public static FeatureGraph Parse(IReadOnlyDictionary<string, string> files)
    {
        static string FeatureOf(string path) => path.Split('/')[0];
        var features = files.Keys.Select(FeatureOf).Distinct().Order(StringComparer.Ordinal).ToList();
        var sources = files.ToDictionary(f => f.Key, f => StripComments(f.Value));
        var declared = features.ToDictionary(f => f, _ => new HashSet<string>(StringComparer.Ordinal));
        foreach (var (path, source) in sources)
            foreach (Match m in DeclaredType().Matches(source)) declared[FeatureOf(path)].Add(m.Groups[1].Value);

        var graph = new FeatureGraph(features);
        foreach (var (path, source) in sources)
        {
            var from = FeatureOf(path);
            // using directives (plain, static, alias, global) and fully qualified names
            foreach (Match m in QualifiedFeature().Matches(source)) graph.Add(from, m.Groups[1].Value, path);
            // Inside HappiTrack.Web.Features.X a sibling's type can be named Rules.RuleSettings without a using.
            foreach (Match m in PartlyQualified().Matches(source))
            {
                var to = m.Groups[1].Value;
                if (declared.TryGetValue(to, out var types) && types.Contains(m.Groups[2].Value)) graph.Add(from, to, path);
            }
        }
        return graph;
    }

    private void Add(string from, string to, string path)
    {
        if (from == to || !Features.Contains(to)) return;
        if (!_edges.TryGetValue(from, out var targets)) _edges[from] = targets = new(StringComparer.Ordinal);
        if (!targets.TryGetValue(to, out var why)) targets[to] = why = new(StringComparer.Ordinal);
        why.Add(path);
    }

    public IReadOnlyList<string> DependenciesOf(string feature) =>
        _edges.TryGetValue(feature, out var targets) ? [.. targets.Keys] : [];

    /// <summary>Strongly connected components with more than one folder (Tarjan).</summary>
    public IReadOnlyList<Cycle> Cycles()
    {
        var index = new Dictionary<string, int>(); var low = new Dictionary<string, int>();
        var stack = new Stack<string>(); var onStack = new HashSet<string>(); var result = new List<Cycle>();
        void Visit(string v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v); onStack.Add(v);
            foreach (var w in DependenciesOf(v))
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var component = new List<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); component.Add(x); } while (x != v);
            if (component.Count > 1) result.Add(new Cycle(component));
        }
        foreach (var f in Features) if (!index.ContainsKey(f)) Visit(f);
        return result;
    }

    public string Explain(Cycle cycle) => string.Join("\n", cycle.Order().SelectMany(from => DependenciesOf(from)
        .Where(cycle.Members.Contains)
        .Select(to => $"  {from} -> {to}: {string.Join(", ", _edges[from][to])}")));

    internal sealed record Cycle(IReadOnlyCollection<string> Members)
    {
        public IReadOnlyList<string> Order() => [.. Members.Order(StringComparer.Ordinal)];
    }

    private static string StripComments(string source) => Comment().Replace(source, "");

    [GeneratedRegex(@"HappiTrack\.Web\.Features\.(\w+)")]
    private static partial Regex QualifiedFeature();

    [GeneratedRegex(@"(?<![\w.""])(\w+)\.([A-Z]\w*)")]
    private static partial Regex PartlyQualified();

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+(\w+)")]
    private static partial Regex DeclaredType();

    /// <summary>Line comments other than XML docs (a <c>cref</c> is a real reference) and block comments.</summary>
    [GeneratedRegex(@"(?<!/)//(?!/)[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comment();
}
