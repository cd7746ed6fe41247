<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AuditPane</name>
    <message>
        <source>Audit log</source>
        <translation>审计日志</translation>
    </message>
    <message>
        <source>model:12</source>
        <translation>model:12</translation>
    </message>
    <message>
        <source>any</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>From</source>
        <translation>从</translation>
    </message>
    <message>
        <source>To</source>
        <translation>到</translation>
    </message>
    <message>
        <source>text in the details</source>
        <translation>详情中的文本</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>应用</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Object</source>
        <translation>对象</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Select an entry to see it whole.</source>
        <translation>选择一条记录以查看完整内容。</translation>
    </message>
    <message>
        <source>Verify chain</source>
        <translation>校验链</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Acknowledge break…</source>
        <translation>确认断裂…</translation>
    </message>
    <message>
        <source>After you have looked at what Verify found: record that you checked it and start a new chain (the entries before are kept as found)</source>
        <translation>在查看了“验证”的结果之后：记录您已检查过，并开始一条新的链（之前的条目按原样保留）</translation>
    </message>
    <message>
        <source>Only administrators read the audit log.</source>
        <translation>只有管理员可以查看审计日志。</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>正在搜索…</translation>
    </message>
    <message>
        <source>{n} entries</source>
        <translation>{n} 条记录</translation>
    </message>
    <message>
        <source>Verifying…</source>
        <translation>正在校验…</translation>
    </message>
    <message>
        <source>Intact: {checked} entries checked, {sealed} sealed, {unsealed} waiting to be sealed.</source>
        <translation>完好：已检查 {checked} 条记录，{sealed} 条已封存，{unsealed} 条等待封存。</translation>
    </message>
    <message>
        <source>Tampered: {problem}</source>
        <translation>已被篡改：{problem}</translation>
    </message>
    <message>
        <source>{n} entries were written without a MAC and sealed later (shown in italics): their content was not authenticated by whoever wrote them.</source>
        <translation>{n} 条记录写入时没有 MAC，之后才被封存（以斜体显示）：其内容未经写入者认证。</translation>
    </message>
    <message>
        <source>{who} acknowledged a break at entry {seq} ({problem}); the chain is checked from there.</source>
        <translation>{who} 在第 {seq} 条确认了一处断裂（{problem}）；链从那里开始校验。</translation>
    </message>
    <message>
        <source>Acknowledge the break</source>
        <translation>确认断裂</translation>
    </message>
    <message>
        <source>Record that you have checked what Verify found and start a new chain from here? The entries before stay as they were found, as evidence; the acknowledgement is itself an entry.</source>
        <translation>记录您已检查过“验证”发现的问题，并从这里开始一条新的链？之前的条目按发现时的样子保留，作为证据；这次确认本身也是一条记录。</translation>
    </message>
    <message>
        <source>Acknowledging…</source>
        <translation>正在确认…</translation>
    </message>
    <message>
        <source>Export the audit log</source>
        <translation>导出审计日志</translation>
    </message>
    <message>
        <source>CSV (*.csv);;JSON Lines (*.jsonl)</source>
        <translation>CSV (*.csv);;JSON Lines (*.jsonl)</translation>
    </message>
    <message>
        <source>Exported {n} entries to {path}.</source>
        <translation>已将 {n} 条记录导出到 {path}。</translation>
    </message>
</context>
<context>
    <name>AuditTableModel</name>
    <message>
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <source>Time (UTC)</source>
        <translation>时间 (UTC)</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Object</source>
        <translation>对象</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>(missing)</source>
        <translation>（缺失）</translation>
    </message>
    <message>
        <source>Waiting to be sealed into the chain (written while nobody was signed in)</source>
        <translation>等待封存到链中（写入时无人登录）</translation>
    </message>
    <message>
        <source>Written without a MAC and sealed later (by user {id}): its content was not authenticated by whoever wrote it</source>
        <translation>写入时没有 MAC，之后由用户 {id} 封存：其内容未经写入者认证</translation>
    </message>
    <message>
        <source>system</source>
        <translation>系统</translation>
    </message>
    <message>
        <source>allowed</source>
        <translation>允许</translation>
    </message>
    <message>
        <source>denied</source>
        <translation>拒绝</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
</context>
</TS>
