<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>DatasetListModel</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>格式</translation>
    </message>
    <message>
        <source>At rest</source>
        <translation>存储方式</translation>
    </message>
    <message>
        <source>Tokenizer</source>
        <translation>分词器</translation>
    </message>
    <message>
        <source>Documents</source>
        <translation>文档数</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>词元数</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>创建时间</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>所有者</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>encrypted</source>
        <translation>已加密</translation>
    </message>
    <message>
        <source>plaintext</source>
        <translation>明文</translation>
    </message>
    <message>
        <source>Encrypted through the vault: only its owner, the users it is shared with and the administrators can open it.</source>
        <translation>通过保险库加密：只有其所有者、与之共享的用户和管理员才能打开。</translation>
    </message>
    <message>
        <source>Stored in plaintext: anyone who can read the data folder can read it.</source>
        <translation>以明文存储：任何能读取数据文件夹的人都能读取它。</translation>
    </message>
</context>
<context>
    <name>DatasetsPane</name>
    <message>
        <source>Import…</source>
        <translation>导入…</translation>
    </message>
    <message>
        <source>Import the sample</source>
        <translation>导入示例</translation>
    </message>
    <message>
        <source>About 1.5 MB of small stories, recipes and dialogues that a tiny model learns within minutes</source>
        <translation>约 1.5 MB 的小故事、食谱和对话，小模型几分钟内就能学会</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <source>Tags…</source>
        <translation>标签…</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Filter by name, source or tag</source>
        <translation>按名称、来源或标签筛选</translation>
    </message>
    <message>
        <source>Statistics</source>
        <translation>统计</translation>
    </message>
    <message>
        <source>Token lengths</source>
        <translation>词元长度</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <source>all documents</source>
        <translation>全部文档</translation>
    </message>
    <message>
        <source>train</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>validation</source>
        <translation>验证</translation>
    </message>
    <message>
        <source>test</source>
        <translation>测试</translation>
    </message>
    <message>
        <source>Cannot list datasets</source>
        <translation>无法列出数据集</translation>
    </message>
    <message>
        <source>No datasets yet.

Drop a text file, a folder, JSON Lines, CSV or Parquet here, click Import…, or start with the sample.</source>
        <translation>还没有数据集。

把文本文件、文件夹、JSON Lines、CSV 或 Parquet 拖到这里，点击“导入…”，或者从示例开始。</translation>
    </message>
    <message>
        <source>Select a dataset to see its statistics and documents.</source>
        <translation>选择一个数据集以查看其统计信息和文档。</translation>
    </message>
    <message>
        <source>Cannot open the dataset</source>
        <translation>无法打开数据集</translation>
    </message>
    <message>
        <source>Document {n:,} from {origin}: {chars:,} characters, {tokens:,} tokens. Hover over a token to see its id.</source>
        <translation>第 {n:,} 篇文档，来自 {origin}：{chars:,} 个字符，{tokens:,} 个词元。将鼠标悬停在词元上可查看其 id。</translation>
    </message>
    <message>
        <source>Showing the first {n:,} characters.</source>
        <translation>仅显示前 {n:,} 个字符。</translation>
    </message>
    <message>
        <source>Grey tokens are prompt tokens that training does not learn.</source>
        <translation>灰色词元是提示部分，训练时不学习。</translation>
    </message>
    <message>
        <source>The import failed</source>
        <translation>导入失败</translation>
    </message>
    <message>
        <source>Import cancelled.</source>
        <translation>导入已取消。</translation>
    </message>
    <message>
        <source>Imported {name}: {docs:,} documents, {tokens:,} tokens.</source>
        <translation>已导入 {name}：{docs:,} 篇文档，{tokens:,} 个词元。</translation>
    </message>
    <message>
        <source>Removed the source ({n} file(s) and folder(s)).</source>
        <translation>已删除源数据（{n} 个文件和文件夹）。</translation>
    </message>
    <message>
        <source>Rename dataset</source>
        <translation>重命名数据集</translation>
    </message>
    <message>
        <source>New name:</source>
        <translation>新名称：</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Tags (comma-separated):</source>
        <translation>标签（以逗号分隔）：</translation>
    </message>
    <message>
        <source>Cannot delete</source>
        <translation>无法删除</translation>
    </message>
    <message>
        <source>The dataset {name} is used by {users}. Delete those first.</source>
        <translation>数据集 {name} 正被 {users} 使用。请先删除它们。</translation>
    </message>
    <message>
        <source>Delete dataset</source>
        <translation>删除数据集</translation>
    </message>
    <message>
        <source>Delete the dataset {name} and its token arrays? This cannot be undone.</source>
        <translation>删除数据集 {name} 及其词元数组？此操作无法撤销。</translation>
    </message>
    <message>
        <source>The change failed</source>
        <translation>修改失败</translation>
    </message>
</context>
<context>
    <name>DocumentTableModel</name>
    <message>
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <source>Split</source>
        <translation>划分</translation>
    </message>
    <message>
        <source>Characters</source>
        <translation>字符数</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>词元数</translation>
    </message>
    <message>
        <source>From</source>
        <translation>出处</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>文本</translation>
    </message>
    <message>
        <source>train</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>validation</source>
        <translation>验证</translation>
    </message>
    <message>
        <source>test</source>
        <translation>测试</translation>
    </message>
</context>
<context>
    <name>ImportDialog</name>
    <message>
        <source>Import a dataset</source>
        <translation>导入数据集</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>导入</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>A file or a folder (drop it on the Datasets pane)</source>
        <translation>文件或文件夹（也可拖到数据集面板上）</translation>
    </message>
    <message>
        <source>File…</source>
        <translation>文件…</translation>
    </message>
    <message>
        <source>Folder…</source>
        <translation>文件夹…</translation>
    </message>
    <message>
        <source>Path</source>
        <translation>路径</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>From the file extension</source>
        <translation>按文件扩展名</translation>
    </message>
    <message>
        <source>Plain text</source>
        <translation>纯文本</translation>
    </message>
    <message>
        <source>JSON Lines</source>
        <translation>JSON Lines</translation>
    </message>
    <message>
        <source>CSV / TSV</source>
        <translation>CSV / TSV</translation>
    </message>
    <message>
        <source>Parquet</source>
        <translation>Parquet</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>格式</translation>
    </message>
    <message>
        <source>Guess from the data</source>
        <translation>根据数据推断</translation>
    </message>
    <message>
        <source>One field or column</source>
        <translation>单个字段或列</translation>
    </message>
    <message>
        <source>Prompt and response fields</source>
        <translation>提示和回答字段</translation>
    </message>
    <message>
        <source>Chat messages</source>
        <translation>对话消息</translation>
    </message>
    <message>
        <source>Text is in</source>
        <translation>文本位于</translation>
    </message>
    <message>
        <source>Field</source>
        <translation>字段</translation>
    </message>
    <message>
        <source>Prompt field</source>
        <translation>提示字段</translation>
    </message>
    <message>
        <source>Response field</source>
        <translation>回答字段</translation>
    </message>
    <message>
        <source>Messages field</source>
        <translation>消息字段</translation>
    </message>
    <message>
        <source>Paragraph of a file, whole file of a folder</source>
        <translation>单个文件按段落，文件夹按整个文件</translation>
    </message>
    <message>
        <source>Paragraph (blank-line separated)</source>
        <translation>段落（以空行分隔）</translation>
    </message>
    <message>
        <source>Line</source>
        <translation>行</translation>
    </message>
    <message>
        <source>Whole file</source>
        <translation>整个文件</translation>
    </message>
    <message>
        <source>Plain text document</source>
        <translation>纯文本文档单位</translation>
    </message>
    <message>
        <source>e.g. *.md, docs/*.txt (default: every known format)</source>
        <translation>例如 *.md, docs/*.txt（默认：所有已知格式）</translation>
    </message>
    <message>
        <source>e.g. drafts/*</source>
        <translation>例如 drafts/*</translation>
    </message>
    <message>
        <source>Folder: include</source>
        <translation>文件夹：包含</translation>
    </message>
    <message>
        <source>Folder: exclude</source>
        <translation>文件夹：排除</translation>
    </message>
    <message>
        <source>Tokenizer</source>
        <translation>分词器</translation>
    </message>
    <message>
        <source>BPE trained on this data</source>
        <translation>在此数据上训练的 BPE</translation>
    </message>
    <message>
        <source>Characters</source>
        <translation>字符</translation>
    </message>
    <message>
        <source>Bytes (256 symbols)</source>
        <translation>字节（256 个符号）</translation>
    </message>
    <message>
        <source>A tokenizer.json file</source>
        <translation>tokenizer.json 文件</translation>
    </message>
    <message>
        <source>A vault model&apos;s (to fine-tune it)</source>
        <translation>保险库中某个模型的（用于微调它）</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Vocabulary size</source>
        <translation>词表大小</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <source>tokenizer.json</source>
        <translation>tokenizer.json</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>The text is tokenized as this model reads it; prompt/response pairs and chats are written with its chat template, and only the replies are learned. Fine-tuning the model needs data imported so.</source>
        <translation>文本按该模型的读取方式分词；提示/回复对和对话按其对话模板书写，只学习回复部分。微调该模型需要这样导入的数据。</translation>
    </message>
    <message>
        <source>Split (whole documents)</source>
        <translation>划分（按整篇文档）</translation>
    </message>
    <message>
        <source>Train</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Validation</source>
        <translation>验证</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>测试</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>Cleaning</source>
        <translation>清洗</translation>
    </message>
    <message>
        <source>Normalise Unicode (NFC)</source>
        <translation>Unicode 规范化（NFC）</translation>
    </message>
    <message>
        <source>Remove control characters</source>
        <translation>删除控制字符</translation>
    </message>
    <message>
        <source>Drop exact duplicates</source>
        <translation>删除完全重复的文档</translation>
    </message>
    <message>
        <source>Drop documents shorter than (characters)</source>
        <translation>删除短于此长度的文档（字符）</translation>
    </message>
    <message>
        <source>Stop with an error</source>
        <translation>报错并停止</translation>
    </message>
    <message>
        <source>Replace with �</source>
        <translation>替换为 �</translation>
    </message>
    <message>
        <source>Skip the document</source>
        <translation>跳过该文档</translation>
    </message>
    <message>
        <source>Invalid UTF-8</source>
        <translation>无效的 UTF-8</translation>
    </message>
    <message>
        <source>comma-separated</source>
        <translation>以逗号分隔</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Privacy</source>
        <translation>隐私</translation>
    </message>
    <message>
        <source>Encrypt at rest through the vault</source>
        <translation>通过保险库进行静态加密</translation>
    </message>
    <message>
        <source>The text and the token arrays are stored encrypted; training decrypts them into memory. Only you, the users you share the dataset with and the administrators can open it. Unticked: plaintext files that anyone who can read the data folder can read (training maps them from disk).</source>
        <translation>文本和词元数组以加密形式存储；训练时在内存中解密。只有您、您与之共享该数据集的用户以及管理员才能打开它。取消勾选：以明文文件存储，任何能读取数据文件夹的人都能读取（训练时直接从磁盘映射）。</translation>
    </message>
    <message>
        <source>Remove the source files after the import</source>
        <translation>导入后删除源文件</translation>
    </message>
    <message>
        <source>Once the dataset is stored, delete the files it was read from (a plain delete: the disk may keep their old blocks). Nothing is removed if the import fails or is cancelled.</source>
        <translation>数据集存储完成后，删除读取它的源文件（普通删除：磁盘可能仍保留其旧数据块）。如果导入失败或被取消，则不会删除任何文件。</translation>
    </message>
    <message>
        <source>Choose a file</source>
        <translation>选择文件</translation>
    </message>
    <message>
        <source>Text data (*.txt *.md *.jsonl *.json *.csv *.tsv *.parquet *.gz *.zst);;All files (*)</source>
        <translation>文本数据 (*.txt *.md *.jsonl *.json *.csv *.tsv *.parquet *.gz *.zst);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Choose a folder</source>
        <translation>选择文件夹</translation>
    </message>
    <message>
        <source>Choose a tokenizer.json</source>
        <translation>选择 tokenizer.json</translation>
    </message>
    <message>
        <source>Tokenizer (*.json);;All files (*)</source>
        <translation>分词器 (*.json);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Choose a file or a folder to import.</source>
        <translation>请选择要导入的文件或文件夹。</translation>
    </message>
    <message>
        <source>Choose the tokenizer.json file.</source>
        <translation>请选择 tokenizer.json 文件。</translation>
    </message>
    <message>
        <source>There is no model in the vault whose tokenizer you may use: import one in the Vault pane first.</source>
        <translation>保险库中没有可供你使用其分词器的模型：请先在保险库面板中导入一个。</translation>
    </message>
    <message>
        <source>{path} does not exist.</source>
        <translation>{path} 不存在。</translation>
    </message>
</context>
<context>
    <name>LengthHistogram</name>
    <message>
        <source>Context length (tokens)</source>
        <translation>上下文长度（词元）</translation>
    </message>
    <message>
        <source>tokens per document (with the end-of-document token)</source>
        <translation>每篇文档的词元数（含文档结束词元）</translation>
    </message>
    <message>
        <source>documents</source>
        <translation>文档数</translation>
    </message>
    <message>
        <source>{longer:,} of {total:,} documents ({share:.1%}) are longer than {context:,} tokens: training reads them in windows of the context length, never one whole; {beyond:.1%} of all tokens lie further into their document than the context reaches. Median {median:,} tokens, longest {max:,}.</source>
        <translation>{total:,} 个文档中有 {longer:,} 个（{share:.1%}）长于 {context:,} 个词元：训练以上下文长度的窗口读取它们，从不完整读取其中任何一个；所有词元中有 {beyond:.1%} 位于其文档中上下文达不到的位置。中位数 {median:,} 个词元，最长 {max:,} 个。</translation>
    </message>
</context>
<context>
    <name>StatsView</name>
    <message>
        <source>documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>characters</source>
        <translation>字符</translation>
    </message>
    <message>
        <source>tokens</source>
        <translation>词元</translation>
    </message>
    <message>
        <source>vocabulary used</source>
        <translation>已用词表</translation>
    </message>
    <message>
        <source>unknown tokens</source>
        <translation>未知词元</translation>
    </message>
    <message>
        <source>on disk</source>
        <translation>磁盘占用</translation>
    </message>
    <message>
        <source>Split</source>
        <translation>划分</translation>
    </message>
    <message>
        <source>Documents</source>
        <translation>文档数</translation>
    </message>
    <message>
        <source>Characters</source>
        <translation>字符数</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>词元数</translation>
    </message>
    <message>
        <source>Learned tokens</source>
        <translation>学习的词元</translation>
    </message>
    <message>
        <source>&lt;b&gt;Splits&lt;/b&gt;</source>
        <translation>&lt;b&gt;划分&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Cleaning</source>
        <translation>清洗</translation>
    </message>
    <message>
        <source>Count</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>&lt;b&gt;What cleaning did&lt;/b&gt;</source>
        <translation>&lt;b&gt;清洗结果&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Per document</source>
        <translation>每篇文档</translation>
    </message>
    <message>
        <source>mean</source>
        <translation>均值</translation>
    </message>
    <message>
        <source>&lt;b&gt;Document lengths&lt;/b&gt;</source>
        <translation>&lt;b&gt;文档长度&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Rank</source>
        <translation>排名</translation>
    </message>
    <message>
        <source>Token</source>
        <translation>词元</translation>
    </message>
    <message>
        <source>Id</source>
        <translation>Id</translation>
    </message>
    <message>
        <source>Share</source>
        <translation>占比</translation>
    </message>
    <message>
        <source>&lt;b&gt;Most frequent tokens&lt;/b&gt;</source>
        <translation>&lt;b&gt;最常见的词元&lt;/b&gt;</translation>
    </message>
    <message>
        <source>documents normalised (NFC)</source>
        <translation>已规范化（NFC）的文档</translation>
    </message>
    <message>
        <source>control characters removed</source>
        <translation>已删除的控制字符</translation>
    </message>
    <message>
        <source>invalid UTF-8 sequences replaced</source>
        <translation>已替换的无效 UTF-8 序列</translation>
    </message>
    <message>
        <source>documents skipped for invalid UTF-8</source>
        <translation>因无效 UTF-8 跳过的文档</translation>
    </message>
    <message>
        <source>empty documents dropped</source>
        <translation>已删除的空文档</translation>
    </message>
    <message>
        <source>short documents dropped</source>
        <translation>已删除的过短文档</translation>
    </message>
    <message>
        <source>duplicates dropped</source>
        <translation>已删除的重复文档</translation>
    </message>
    <message>
        <source>oversized documents cut</source>
        <translation>已切分的超长文档</translation>
    </message>
    <message>
        <source>empty files</source>
        <translation>空文件</translation>
    </message>
    <message>
        <source>Encrypted at rest. Keys held by {holders} and, through the recovery key, the administrators.</source>
        <translation>静态加密。密钥由 {holders} 持有，管理员可通过恢复密钥打开。</translation>
    </message>
    <message>
        <source>Stored in plaintext (anyone who can read the data folder can read it).</source>
        <translation>以明文存储（任何能读取数据文件夹的人都能读取它）。</translation>
    </message>
    <message>
        <source>Shared with: {grants}.</source>
        <translation>已共享给：{grants}。</translation>
    </message>
    <message>
        <source>Not shared with anyone.</source>
        <translation>未与任何人共享。</translation>
    </message>
    <message>
        <source>prompt/response with loss mask</source>
        <translation>提示/回答（带损失掩码）</translation>
    </message>
    <message>
        <source>plain text</source>
        <translation>纯文本</translation>
    </message>
    <message>
        <source>{source} ({format}, {files} file(s), {size})</source>
        <translation>{source}（{format}，{files} 个文件，{size}）</translation>
    </message>
    <message>
        <source>{kind}; {fields}</source>
        <translation>{kind}；{fields}</translation>
    </message>
    <message>
        <source>tokenizer {tokenizer}; arrays {dtype}</source>
        <translation>分词器 {tokenizer}；数组 {dtype}</translation>
    </message>
    <message>
        <source>created {created} by {owner}; imported in {seconds:.1f} s</source>
        <translation>{owner} 于 {created} 创建；导入用时 {seconds:.1f} 秒</translation>
    </message>
    <message>
        <source>tags: {tags}</source>
        <translation>标签：{tags}</translation>
    </message>
    <message>
        <source>The BPE vocabulary has {have:,} tokens, not the {asked:,} asked for: the text holds no more merges (a small text, or few distinct words).</source>
        <translation>BPE 词表只有 {have:,} 个词元，而不是所要求的 {asked:,} 个：文本中没有更多可合并的内容（文本较小，或不同的词较少）。</translation>
    </message>
    <message>
        <source>train</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>validation</source>
        <translation>验证</translation>
    </message>
    <message>
        <source>test</source>
        <translation>测试</translation>
    </message>
</context>
<context>
    <name>TokenView</name>
    <message>
        <source>token {ids}: {pieces}</source>
        <translation>词元 {ids}：{pieces}</translation>
    </message>
    <message>
        <source>prompt: not learned</source>
        <translation>提示：不学习</translation>
    </message>
</context>
</TS>
