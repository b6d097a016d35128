using Broker.Protocol.Generator.Emit;
using Broker.Protocol.Generator.Spec;

namespace Broker.Protocol.Generator;

/// <summary>
/// Turns the spec folders (message/, metadata/, coordinator/) into C# sources. Pure: it returns
/// the files (path relative to src/Broker.Protocol -> text) so the staleness test can compare
/// them with what is committed without touching the disk.
/// </summary>
public static class ProtocolGenerator
{
    public static readonly string[] OutputFolders = ["Messages/Generated", "Metadata/Generated", "Coordinator/Generated"];

    public static SortedDictionary<string, string> Generate(string specRoot)
    {
        var specs = new List<MessageSpec>();
        foreach (var (dir, folder) in new[] { ("message", SpecFolder.Message), ("metadata", SpecFolder.Metadata), ("coordinator", SpecFolder.Coordinator) })
        {
            var path = Path.Combine(specRoot, dir);
            if (!Directory.Exists(path))
            {
                throw new DirectoryNotFoundException($"spec folder {path} not found");
            }
            foreach (var file in Directory.GetFiles(path, "*.json").OrderBy(f => f, StringComparer.Ordinal))
            {
                specs.Add(SpecReader.Read(file, folder, $"{dir}/{Path.GetFileName(file)}"));
            }
        }

        var output = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            var outDir = spec.Folder switch
            {
                SpecFolder.Message => OutputFolders[0],
                SpecFolder.Metadata => OutputFolders[1],
                _ => OutputFolders[2],
            };
            output.Add($"{outDir}/{spec.Name}.g.cs", MessageEmitter.Emit(spec));
        }
        var requests = specs.Where(s => s.Folder == SpecFolder.Message && s.IsRequest).ToList();
        output.Add($"{OutputFolders[0]}/ApiKey.g.cs", ApiTableEmitter.ApiKeyEnum(requests));
        output.Add($"{OutputFolders[0]}/ApiVersionTable.g.cs", ApiTableEmitter.VersionTable(requests));
        var responses = specs.Where(s => s.Folder == SpecFolder.Message && s.IsResponse).ToList();
        output.Add($"{OutputFolders[0]}/ApiMessages.g.cs", ApiTableEmitter.MessageFactory(requests, responses));
        var records = specs.Where(s => s.Folder == SpecFolder.Metadata && s.ApiKey is not null).ToList();
        output.Add($"{OutputFolders[1]}/MetadataRecordType.g.cs", ApiTableEmitter.MetadataRecordTypeEnum(records));
        output.Add($"{OutputFolders[1]}/MetadataRecords.g.cs", ApiTableEmitter.MetadataRecordFactory(records));
        return output;
    }
}
