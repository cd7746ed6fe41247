<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AdaptersTab</name>
    <message>
        <source>Merge into a new model…</source>
        <translation>合并为新模型…</translation>
    </message>
    <message>
        <source>Fold the selected adapter into a copy of this model, stored as a new full model</source>
        <translation>将所选适配器合并进此模型的副本，存为一个新的完整模型</translation>
    </message>
    <message>
        <source>LoRA adapters trained on {base}. An adapter holds only the small low-rank weights and runs on its base; merge one to get a full model of its own.</source>
        <translation>在 {base} 上训练的 LoRA 适配器。适配器只保存很小的低秩权重，需在其基础模型上运行；合并后即得到一个独立的完整模型。</translation>
    </message>
    <message>
        <source>No LoRA adapter has been trained on this model. Fine-tune it with LoRA (Training, New run, Fine-tune a vault model) and its adapters appear here.</source>
        <translation>尚未在此模型上训练过 LoRA 适配器。用 LoRA 微调它（训练 → 新建运行 → 微调保险库中的模型），其适配器会显示在这里。</translation>
    </message>
</context>
<context>
    <name>AdaptersTable</name>
    <message>
        <source>Adapter</source>
        <translation>适配器</translation>
    </message>
    <message>
        <source>Rank</source>
        <translation>秩</translation>
    </message>
    <message>
        <source>Of version</source>
        <translation>基于版本</translation>
    </message>
    <message>
        <source>What</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>创建时间</translation>
    </message>
</context>
<context>
    <name>ChatWindow</name>
    <message>
        <source>Chat with {model}</source>
        <translation>与 {model} 对话</translation>
    </message>
</context>
<context>
    <name>DetailsPanel</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>所有者</translation>
    </message>
    <message>
        <source>Latest version</source>
        <translation>最新版本</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>架构</translation>
    </message>
    <message>
        <source>Family</source>
        <translation>模型家族</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <source>Tokenizer</source>
        <translation>分词器</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>Chat template</source>
        <translation>对话模板</translation>
    </message>
    <message>
        <source>Data type</source>
        <translation>数据类型</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Files</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>创建时间</translation>
    </message>
    <message>
        <source>Overview</source>
        <translation>概览</translation>
    </message>
    <message>
        <source>Lineage</source>
        <translation>谱系</translation>
    </message>
    <message>
        <source>Users whose keys open this model (the administrators can always recover it):</source>
        <translation>可以用自己的密钥打开此模型的用户（管理员始终可以恢复它）：</translation>
    </message>
    <message>
        <source>Revoke access…</source>
        <translation>撤销访问…</translation>
    </message>
    <message>
        <source>Access</source>
        <translation>访问权限</translation>
    </message>
    <message>
        <source>Versions</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>Adapters</source>
        <translation>适配器</translation>
    </message>
    <message>
        <source>{n} (being written by its run)</source>
        <translation>{n}（正由其运行写入）</translation>
    </message>
    <message>
        <source>version {id}</source>
        <translation>版本 {id}</translation>
    </message>
    <message>
        <source>{user} (owner)</source>
        <translation>{user}（所有者）</translation>
    </message>
    <message>
        <source>{user} ({permission})</source>
        <translation>{user}（{permission}）</translation>
    </message>
    <message>
        <source>use</source>
        <translation>使用</translation>
    </message>
    <message>
        <source>export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>manage</source>
        <translation>管理</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <source>Export {model}</source>
        <translation>导出 {model}</translation>
    </message>
    <message>
        <source>Exporting writes the weights in plaintext. The export is recorded in the audit log.</source>
        <translation>导出会以明文写出权重。此次导出会记录在审计日志中。</translation>
    </message>
    <message>
        <source>Version {n}</source>
        <translation>版本 {n}</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>A Hugging Face folder</source>
        <translation>Hugging Face 文件夹</translation>
    </message>
    <message>
        <source>An encrypted bundle for another user</source>
        <translation>给其他用户的加密包</translation>
    </message>
    <message>
        <source>The stored files as they are (.safetensors)</source>
        <translation>按原样导出存储的文件（.safetensors）</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>格式</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>user name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>For</source>
        <translation>接收者</translation>
    </message>
    <message>
        <source>Sign with my signing key (OpenSSF model signing)</source>
        <translation>用我的签名密钥签名（OpenSSF 模型签名）</translation>
    </message>
    <message>
        <source>Check: run the format&apos;s runtime on the export and compare its logits</source>
        <translation>检查：用该格式的运行时运行导出结果并比较 logits</translation>
    </message>
    <message>
        <source>Choose where…</source>
        <translation>选择位置…</translation>
    </message>
    <message>
        <source>One .safetensors file (config, tokenizer and lineage inside)</source>
        <translation>单个 .safetensors 文件（内含配置、分词器和谱系）</translation>
    </message>
    <message>
        <source>GGUF for llama.cpp, Ollama and LM Studio</source>
        <translation>GGUF，用于 llama.cpp、Ollama 和 LM Studio</translation>
    </message>
    <message>
        <source>ONNX for ONNX Runtime (a folder)</source>
        <translation>ONNX，用于 ONNX Runtime（文件夹）</translation>
    </message>
    <message>
        <source>Automatic (f16; q8_0 or q4_0 for a quantized model)</source>
        <translation>自动（f16；量化模型用 q8_0 或 q4_0）</translation>
    </message>
    <message>
        <source>None (float weights)</source>
        <translation>无（浮点权重）</translation>
    </message>
    <message>
        <source>f32 (exact)</source>
        <translation>f32（精确）</translation>
    </message>
    <message>
        <source>f16 (half the size)</source>
        <translation>f16（一半大小）</translation>
    </message>
    <message>
        <source>bf16</source>
        <translation>bf16</translation>
    </message>
    <message>
        <source>q8_0 (8-bit)</source>
        <translation>q8_0（8 位）</translation>
    </message>
    <message>
        <source>q4_0 (4-bit)</source>
        <translation>q4_0（4 位）</translation>
    </message>
    <message>
        <source>q4_1 (4-bit, with offsets)</source>
        <translation>q4_1（4 位，带偏移）</translation>
    </message>
    <message>
        <source>q5_0 (5-bit)</source>
        <translation>q5_0（5 位）</translation>
    </message>
    <message>
        <source>q5_1 (5-bit, with offsets)</source>
        <translation>q5_1（5 位，带偏移）</translation>
    </message>
    <message>
        <source>int8 (ONNX Runtime&apos;s dynamic quantization)</source>
        <translation>int8（ONNX Runtime 的动态量化）</translation>
    </message>
</context>
<context>
    <name>ImportDialog</name>
    <message>
        <source>Import into the vault</source>
        <translation>导入保险库</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>comma separated</source>
        <translation>用逗号分隔</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Delete the plaintext original after the import</source>
        <translation>导入后删除明文原件</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>导入</translation>
    </message>
</context>
<context>
    <name>MergeDialog</name>
    <message>
        <source>Merge {adapter}</source>
        <translation>合并 {adapter}</translation>
    </message>
    <message>
        <source>The adapter&apos;s low-rank weights are folded into a copy of its base {base}, and the result is stored, encrypted, as a new model: a full version that exports, compresses, chats and fine-tunes like any other. The adapter and its base stay as they are.</source>
        <translation>适配器的低秩权重会合并进其基础模型 {base} 的副本，结果加密存为一个新模型：一个完整版本，可像其他模型一样导出、压缩、对话和微调。适配器和基础模型保持不变。</translation>
    </message>
    <message>
        <source>Version {n}</source>
        <translation>版本 {n}</translation>
    </message>
    <message>
        <source>Adapter version</source>
        <translation>适配器版本</translation>
    </message>
    <message>
        <source>New model&apos;s name</source>
        <translation>新模型名称</translation>
    </message>
    <message>
        <source>Merge</source>
        <translation>合并</translation>
    </message>
</context>
<context>
    <name>ModelsTable</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>架构</translation>
    </message>
    <message>
        <source>Family</source>
        <translation>家族</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>上下文</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数量</translation>
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
        <source>being written</source>
        <translation>正在写入</translation>
    </message>
</context>
<context>
    <name>ShareDialog</name>
    <message>
        <source>Share {model}</source>
        <translation>共享 {model}</translation>
    </message>
    <message>
        <source>The model&apos;s keys are wrapped for this user; every later version is too.</source>
        <translation>模型的密钥会为该用户封装；之后的每个版本也会如此。</translation>
    </message>
    <message>
        <source>{name} ({role})</source>
        <translation>{name}（{role}）</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Use: load, generate, verify</source>
        <translation>使用：加载、生成、校验</translation>
    </message>
    <message>
        <source>Export: also write plaintext copies and bundles</source>
        <translation>导出：还可写出明文副本和加密包</translation>
    </message>
    <message>
        <source>Manage: also share, rotate, rename and delete</source>
        <translation>管理：还可共享、轮换密钥、重命名和删除</translation>
    </message>
    <message>
        <source>May</source>
        <translation>权限</translation>
    </message>
    <message>
        <source>Share</source>
        <translation>共享</translation>
    </message>
    <message>
        <source>There is nobody else to share with.</source>
        <translation>没有其他可以共享的用户。</translation>
    </message>
</context>
<context>
    <name>VaultFacts</name>
    <message>
        <source>LoRA{rank} on {base}</source>
        <translation>LoRA{rank}，基于 {base}</translation>
    </message>
    <message>
        <source>LoRA adapter (rank {rank}) of {base}</source>
        <translation>{base} 的 LoRA 适配器（秩 {rank}）</translation>
    </message>
    <message>
        <source>{n} tokens</source>
        <translation>{n} 个词元</translation>
    </message>
    <message>
        <source>Hugging Face tokenizer (tokenizer.json)</source>
        <translation>Hugging Face 分词器（tokenizer.json）</translation>
    </message>
    <message>
        <source>the studio&apos;s byte tokenizer</source>
        <translation>工作室的字节分词器</translation>
    </message>
    <message>
        <source>the studio&apos;s character tokenizer</source>
        <translation>工作室的字符分词器</translation>
    </message>
    <message>
        <source>the studio&apos;s BPE tokenizer</source>
        <translation>工作室的 BPE 分词器</translation>
    </message>
    <message>
        <source>stored with the version (tokenizer.json)</source>
        <translation>随版本存储（tokenizer.json）</translation>
    </message>
    <message>
        <source>none stored (it cannot read or write text until one is)</source>
        <translation>未存储（存入分词器之前无法读写文本）</translation>
    </message>
    <message>
        <source>not known until the model is loaded</source>
        <translation>加载模型后才能知道</translation>
    </message>
    <message>
        <source>yes: it can chat</source>
        <translation>有：可以对话</translation>
    </message>
    <message>
        <source>no: generate from a raw prompt</source>
        <translation>无：请用原始提示生成</translation>
    </message>
</context>
<context>
    <name>VaultPane</name>
    <message>
        <source>Vault</source>
        <translation>保险库</translation>
    </message>
    <message>
        <source>Search name, tag, architecture…</source>
        <translation>搜索名称、标签、架构…</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>导入</translation>
    </message>
    <message>
        <source>A model file (.safetensors)…</source>
        <translation>模型文件（.safetensors）…</translation>
    </message>
    <message>
        <source>A Hugging Face folder…</source>
        <translation>Hugging Face 文件夹…</translation>
    </message>
    <message>
        <source>An encrypted bundle…</source>
        <translation>加密包…</translation>
    </message>
    <message>
        <source>Chat…</source>
        <translation>对话…</translation>
    </message>
    <message>
        <source>Talk with the selected model, or continue a prompt</source>
        <translation>与所选模型对话，或续写提示</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Verify</source>
        <translation>校验</translation>
    </message>
    <message>
        <source>The selected model</source>
        <translation>所选模型</translation>
    </message>
    <message>
        <source>The whole vault</source>
        <translation>整个保险库</translation>
    </message>
    <message>
        <source>Share…</source>
        <translation>共享…</translation>
    </message>
    <message>
        <source>Merge…</source>
        <translation>合并…</translation>
    </message>
    <message>
        <source>Merge the selected LoRA adapter into its base, as a new full model</source>
        <translation>将所选 LoRA 适配器合并进其基础模型，存为新的完整模型</translation>
    </message>
    <message>
        <source>Rotate keys</source>
        <translation>轮换密钥</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>The vault is locked. Log in (or unlock your session) to see your models: every model is encrypted with keys that only open with your password.</source>
        <translation>保险库已锁定。请登录（或解锁会话）以查看您的模型：每个模型都用只有您的密码才能打开的密钥加密。</translation>
    </message>
    <message>
        <source>Drop .safetensors files, model folders or bundles here to import them.</source>
        <translation>将 .safetensors 文件、模型文件夹或加密包拖到此处即可导入。</translation>
    </message>
    <message>
        <source>This model has no finished version yet: there is nothing to export.</source>
        <translation>此模型还没有已完成的版本：没有可导出的内容。</translation>
    </message>
    <message>
        <source>Write a version in plaintext, or as a bundle for another user</source>
        <translation>以明文写出一个版本，或为其他用户打包</translation>
    </message>
    <message>
        <source>Wait for the current task to finish (or cancel it).</source>
        <translation>请等待当前任务完成（或取消它）。</translation>
    </message>
    <message>
        <source>Failed: {error}</source>
        <translation>失败：{error}</translation>
    </message>
    <message>
        <source>Cancelled: nothing was changed.</source>
        <translation>已取消：没有任何更改。</translation>
    </message>
    <message>
        <source>Imported {name} version {n} from the bundle.</source>
        <translation>已从加密包导入 {name} 版本 {n}。</translation>
    </message>
    <message>
        <source>Imported {name} version {n}: {files} file(s).</source>
        <translation>已导入 {name} 版本 {n}：{files} 个文件。</translation>
    </message>
    <message>
        <source>Not stored: {files}.</source>
        <translation>未存储：{files}。</translation>
    </message>
    <message>
        <source>Import a model file</source>
        <translation>导入模型文件</translation>
    </message>
    <message>
        <source>Model weights (*.safetensors *.pt *.pth *.bin)</source>
        <translation>模型权重 (*.safetensors *.pt *.pth *.bin)</translation>
    </message>
    <message>
        <source>Import a Hugging Face folder</source>
        <translation>导入 Hugging Face 文件夹</translation>
    </message>
    <message>
        <source>Import an encrypted bundle</source>
        <translation>导入加密包</translation>
    </message>
    <message>
        <source>Model Studio bundles (*.msbundle)</source>
        <translation>Model Studio 加密包 (*.msbundle)</translation>
    </message>
    <message>
        <source>Export into which folder?</source>
        <translation>导出到哪个文件夹？</translation>
    </message>
    <message>
        <source>Wrote {path}: it opens only with the key {fp}.</source>
        <translation>已写入 {path}：只有密钥 {fp} 能打开它。</translation>
    </message>
    <message>
        <source>Exported to {path}. This copy is not encrypted: keep it safe.</source>
        <translation>已导出到 {path}。此副本未加密：请妥善保管。</translation>
    </message>
    <message>
        <source>Verified {files} file(s) of {models} model(s): all intact.</source>
        <translation>已校验 {models} 个模型的 {files} 个文件：全部完好。</translation>
    </message>
    <message>
        <source>{count} damaged file(s):</source>
        <translation>{count} 个文件已损坏：</translation>
    </message>
    <message>
        <source>Shared: {user} may {permission} it; {count} key(s) wrapped for them.</source>
        <translation>已共享：{user} 现在可以 {permission} 该模型；已为其封装 {count} 个密钥。</translation>
    </message>
    <message>
        <source>Take {user}&apos;s grants and keys to {model} away? Every file of the model is re-encrypted under new keys.</source>
        <translation>要撤销 {user} 对 {model} 的授权和密钥吗？该模型的每个文件都会用新密钥重新加密。</translation>
    </message>
    <message>
        <source>Revoke access</source>
        <translation>撤销访问</translation>
    </message>
    <message>
        <source>Export as</source>
        <translation>导出为</translation>
    </message>
    <message>
        <source>Signed by {user} (key {fp}…) in {file}.</source>
        <translation>已由 {user} 签名（密钥 {fp}…），签名文件 {file}。</translation>
    </message>
    <message>
        <source>Checked with {runtime}: largest logit difference {diff}.</source>
        <translation>已用 {runtime} 检查：logit 最大差异 {diff}。</translation>
    </message>
    <message>
        <source>Access revoked; {n} file(s) re-encrypted.</source>
        <translation>已撤销访问；{n} 个文件已重新加密。</translation>
    </message>
    <message>
        <source>its base</source>
        <translation>其基础模型</translation>
    </message>
    <message>
        <source>Merged into {name} version {n}: a full model of its own.</source>
        <translation>已合并为 {name} 版本 {n}：一个独立的完整模型。</translation>
    </message>
    <message>
        <source>Re-encrypt every file of {model} under new keys?</source>
        <translation>用新密钥重新加密 {model} 的每个文件？</translation>
    </message>
    <message>
        <source>{n} file(s) re-encrypted under new keys.</source>
        <translation>{n} 个文件已用新密钥重新加密。</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Delete {model} and every version of it? Its keys are destroyed first: this cannot be undone.</source>
        <translation>删除 {model} 及其所有版本？其密钥会首先被销毁：此操作无法撤销。</translation>
    </message>
    <message>
        <source>Deleted {model}: its keys are destroyed.</source>
        <translation>已删除 {model}：其密钥已销毁。</translation>
    </message>
</context>
<context>
    <name>VersionsTable</name>
    <message>
        <source>Version</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>Data type</source>
        <translation>数据类型</translation>
    </message>
    <message>
        <source>What</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Files</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>创建时间</translation>
    </message>
    <message>
        <source>checkpoint</source>
        <translation>检查点</translation>
    </message>
    <message>
        <source>compressed</source>
        <translation>已压缩</translation>
    </message>
    <message>
        <source>trained</source>
        <translation>已训练</translation>
    </message>
    <message>
        <source>imported</source>
        <translation>已导入</translation>
    </message>
    <message>
        <source>from a bundle</source>
        <translation>来自包</translation>
    </message>
    <message>
        <source>merged</source>
        <translation>已合并</translation>
    </message>
    <message>
        <source>step {step:,}</source>
        <translation>第 {step:,} 步</translation>
    </message>
    <message>
        <source>val loss {loss:.4f}</source>
        <translation>验证损失 {loss:.4f}</translation>
    </message>
    <message>
        <source>train loss {loss:.4f}</source>
        <translation>训练损失 {loss:.4f}</translation>
    </message>
    <message>
        <source>best</source>
        <translation>最佳</translation>
    </message>
    <message>
        <source>from {source}</source>
        <translation>来自 {source}</translation>
    </message>
</context>
</TS>
