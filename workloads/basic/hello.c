/* Prints a greeting through semihosting and exits 0 (crt0-semihost calls exit(main())). */
#include <stdio.h>

int main(void) {
  printf("Hello from mcucim!\n");
  return 0;
}
