// The backends live in ./backends/; this path stays for the modules that import it.
export * from './backends/index.js';
