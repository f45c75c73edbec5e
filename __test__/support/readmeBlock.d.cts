import type { Block } from 'vm-jit-native'
export declare function readmeBlock(): Block
