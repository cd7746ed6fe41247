<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>VaultPane</name>
    <message>
        <source>Vault</source>
        <translation>保险库</translation>
    </message>
    <message>
        <source>Every model and checkpoint, encrypted at rest: import, export, share, verify and rotate keys.</source>
        <translation>所有模型和检查点均加密存储：导入、导出、共享、校验和轮换密钥。</translation>
    </message>
</context>
</TS>
