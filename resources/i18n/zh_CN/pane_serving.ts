<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>RequestsModel</name>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation>端点</translation>
    </message>
    <message>
        <source>Tokens in</source>
        <translation>输入词元</translation>
    </message>
    <message>
        <source>Tokens out</source>
        <translation>输出词元</translation>
    </message>
    <message>
        <source>Latency (ms)</source>
        <translation>延迟（毫秒）</translation>
    </message>
    <message>
        <source>First token (ms)</source>
        <translation>首词元（毫秒）</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>done (length)</source>
        <translation>完成（长度）</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>ok</source>
        <translation>成功</translation>
    </message>
    <message>
        <source>bad key</source>
        <translation>密钥无效</translation>
    </message>
    <message>
        <source>denied</source>
        <translation>拒绝</translation>
    </message>
    <message>
        <source>rate limited</source>
        <translation>超出速率限制</translation>
    </message>
    <message>
        <source>busy</source>
        <translation>繁忙</translation>
    </message>
    <message>
        <source>bad request</source>
        <translation>请求有误</translation>
    </message>
    <message>
        <source>no such model</source>
        <translation>无此模型</translation>
    </message>
    <message>
        <source>too large</source>
        <translation>过大</translation>
    </message>
    <message>
        <source>audit failed</source>
        <translation>审计失败</translation>
    </message>
</context>
<context>
    <name>ServingPane</name>
    <message>
        <source>Serving</source>
        <translation>服务</translation>
    </message>
    <message>
        <source>Serve vault models over an OpenAI-compatible HTTP API. Clients send an API key (Users &amp; Access → API keys); every request is checked as the key&apos;s user and recorded in the audit log.</source>
        <translation>通过兼容 OpenAI 的 HTTP API 提供保险库中的模型。客户端发送 API 密钥（用户与权限 → API 密钥）；每个请求都以密钥所属用户的身份检查，并记入审计日志。</translation>
    </message>
    <message>
        <source>torch (the studio&apos;s own numerics)</source>
        <translation>torch（与工作室的计算完全一致）</translation>
    </message>
    <message>
        <source>llama.cpp (GGUF in memory; faster on a CPU)</source>
        <translation>llama.cpp（内存中的 GGUF；在 CPU 上更快）</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>启动</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Refresh models</source>
        <translation>刷新模型</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>Back-end</source>
        <translation>后端</translation>
    </message>
    <message>
        <source>Models to serve</source>
        <translation>要提供的模型</translation>
    </message>
    <message>
        <source>Served models</source>
        <translation>已提供的模型</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>请求</translation>
    </message>
    <message>
        <source>Tokens/s</source>
        <translation>词元/秒</translation>
    </message>
    <message>
        <source>Generating / waiting</source>
        <translation>生成中 / 等待中</translation>
    </message>
    <message>
        <source>Refused or failed</source>
        <translation>被拒或失败</translation>
    </message>
    <message>
        <source>No model to serve: train one, or import one into the Vault.</source>
        <translation>没有可提供的模型：请先训练一个，或导入到保险库。</translation>
    </message>
    <message>
        <source>The torch back-end computes exactly what the studio&apos;s own generation does; llama.cpp runs the model&apos;s GGUF, written into memory only.</source>
        <translation>torch 后端的计算与工作室自身的生成完全相同；llama.cpp 运行模型的 GGUF，该文件只写入内存。</translation>
    </message>
    <message>
        <source>Tick at least one model to serve.</source>
        <translation>请至少勾选一个要提供的模型。</translation>
    </message>
    <message>
        <source>Decrypting {models} and starting…</source>
        <translation>正在解密 {models} 并启动…</translation>
    </message>
    <message>
        <source>Serving at {url} — clients: base_url={url}, api_key=&lt;an API key&gt;.</source>
        <translation>正在 {url} 提供服务 — 客户端：base_url={url}，api_key=&lt;一个 API 密钥&gt;。</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <source>Could not do it: {error}</source>
        <translation>无法完成：{error}</translation>
    </message>
    <message>
        <source>Other machines can reach {host}: the server speaks plain HTTP (keys and text cross the network unencrypted; put a TLS proxy in front), and anyone who reaches it can try keys.</source>
        <translation>其他机器可以访问 {host}：服务器使用明文 HTTP（密钥和文本在网络上未加密传输；请在前面放置 TLS 代理），任何能访问它的人都可以尝试密钥。</translation>
    </message>
    <message>
        <source>Stop the server?</source>
        <translation>停止服务器？</translation>
    </message>
    <message>
        <source>The server at {url} is running. Closing the window stops it.</source>
        <translation>{url} 上的服务器正在运行。关闭窗口会停止它。</translation>
    </message>
</context>
</TS>
