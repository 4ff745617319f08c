export * from "./affected";
export * from "./checks";
export * from "./deploy-report";
export * from "./estimate";
export * from "./report";
